#!/usr/bin/env bash
# The fixture capture against the fixture journal, compared exactly with the golden
# output: port reuse, pid reuse, IPv6, UDP, ICMP echo, loopback with both owners, RST
# from a closed port and ICMP errors (kernel), a remote RST and packets after the
# collector stopped (unknown), a tunnel. UPDATE_GOLDEN=1 rewrites the golden files.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd python3

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
J=(-r fixture.pcap -o proc.journal:fixture.db)
FIELDS=(-T fields -E header=y -e frame.number)
for side in src dst; do
  for f in name pid ppid uid user exe cmdline container source match label; do FIELDS+=(-e "proc.$side.$f"); done
done

tshark_plugin "${J[@]}" "${FIELDS[@]}" >fields.txt 2>err.txt || fail "tshark failed: $(cat err.txt)"
[ ! -s err.txt ] || fail "tshark complained: $(cat err.txt)"
tshark_plugin "${J[@]}" >summary.txt 2>/dev/null || fail "tshark (summary) failed"
tshark_plugin "${J[@]}" -q -z proc,tree >stats.txt 2>/dev/null || fail "tshark -z proc,tree failed"

# The proc fields are the same on every Wireshark version (golden_fields.txt); the
# summary lines and the statistics text are Wireshark's own and differ between
# versions: golden_NAME_<major.minor>.txt, where it exists, replaces golden_NAME.txt
# (recorded with 4.0). UPDATE_GOLDEN=1 rewrites them (the versioned one only when it differs).
golden() {  # golden NAME: the golden file for this version
  local v="$PLUGIN_TESTS_DIR/golden_$1_$WS_ABI.txt"
  if [ -f "$v" ]; then echo "$v"; else echo "$PLUGIN_TESTS_DIR/golden_$1.txt"; fi
}
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp fields.txt "$PLUGIN_TESTS_DIR/golden_fields.txt"
  for name in summary stats; do
    if [ "$WS_ABI" = 4.0 ]; then
      cp $name.txt "$PLUGIN_TESTS_DIR/golden_$name.txt"
    elif cmp -s $name.txt "$PLUGIN_TESTS_DIR/golden_$name.txt"; then
      rm -f "$PLUGIN_TESTS_DIR/golden_${name}_$WS_ABI.txt"
    else
      cp $name.txt "$PLUGIN_TESTS_DIR/golden_${name}_$WS_ABI.txt"
    fi
  done
  echo "golden files rewritten for Wireshark $WS_ABI"
fi
diff -u "$PLUGIN_TESTS_DIR/golden_fields.txt" fields.txt || fail "fields differ from golden_fields.txt"
diff -u "$(golden summary)" summary.txt || fail "summary differs from $(basename "$(golden summary)")"
diff -u "$(golden stats)" stats.txt || fail "statistics differ from $(basename "$(golden stats)")"
# Each table of -z proc,tree counts every packet once: its programs add up to its
# total, and each program's pids to the program.
python3 - stats.txt <<'PY' || fail "-z proc,tree: counts that do not add up"
import re, sys
rows = [(len(m.group(1)), m.group(2), int(m.group(3))) for m in
        (re.match(r"^( *)(\S.*?)\s{2,}(\d+)\s", l) for l in open(sys.argv[1])) if m]
def check(i, depth):  # the children of rows[i] sum to its count
    total, j = 0, i + 1
    while j < len(rows) and rows[j][0] > depth:
        if rows[j][0] == depth + 1:
            total += rows[j][2]
            check(j, depth + 1)
        j += 1
    if j > i + 1 and total != rows[i][2]:
        sys.exit("%s: %d, its rows add up to %d" % (rows[i][1], rows[i][2], total))
tables = [i for i, r in enumerate(rows) if r[0] == 0]
assert len(tables) == 4, tables
for i in tables:
    check(i, 0)
PY
# Whatever Wireshark writes, the plugin's Info tags are those of golden_summary.txt.
tags() { grep -o ' \[[^][]* → [^][]*\]$' "$1"; }
diff -u <(tags "$PLUGIN_TESTS_DIR/golden_summary.txt") <(tags summary.txt) || fail "Info tags differ from golden_summary.txt's"

# The same answers on a second pass (cached per frame) as on the first.
tshark_plugin -2 "${J[@]}" "${FIELDS[@]}" >two_pass.txt 2>/dev/null || fail "tshark -2 failed"
diff -u fields.txt two_pass.txt || fail "second pass differs from the first"

# Filters on either side: curl's packets, both of pid 6000's lives.
frames() { tshark_plugin "${J[@]}" -Y "$1" -T fields -e frame.number 2>/dev/null | tr '\n' ' '; }
[ "$(frames 'proc.name == "curl"')" = "1 2 3 4 5 6 7 8 19 20 23 24 32 " ] || fail "proc.name == curl: $(frames 'proc.name == "curl"')"
[ "$(frames 'proc.pid == 6000')" = "33 34 37 38 " ] || fail "proc.pid == 6000: $(frames 'proc.pid == 6000')"
[ "$(frames 'proc.src.name == "[kernel]"')" = "2 16 18 24 28 " ] || fail "kernel senders: $(frames 'proc.src.name == "[kernel]"')"
# The acceptance form: curl's packets with both of their processes.
tshark_plugin "${J[@]}" -Y 'proc.name == "curl"' -T fields -e frame.number -e proc.src.name -e proc.dst.name \
  >curl.txt 2>/dev/null || fail "tshark -Y curl failed"
[ "$(awk -F'\t' '$2 != "" && $3 != ""' curl.txt | wc -l)" -eq 9 ] || fail "curl's loopback packets lack a name: $(cat curl.txt)"

# Whatever -T fields prints of the proc fields is what the whole tree holds (PDML, every
# item, hidden ones too): on 4.0, where the plugin builds only the printed items and
# those referenced (tshark_fields.hpp), and on later versions, where tshark asks.
PROC_FIELDS=($(tshark_plugin -G fields 2>/dev/null | awk -F'\t' '$1 == "F" && $3 ~ /^proc\./ {print $3}'))
[ "${#PROC_FIELDS[@]}" -ge 26 ] || fail "tshark -G fields lists ${#PROC_FIELDS[@]} proc fields"
tshark_plugin "${J[@]}" -T pdml >all.pdml 2>/dev/null || fail "tshark -T pdml failed"
same_as_tree() {  # same_as_tree PDML FIELD... [-- TSHARK ARGS]: -T fields agrees with the PDML
  local pdml=$1 fields=() args=(); shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do fields+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; args=("$@"); }
  local e=() f; for f in "${fields[@]}"; do e+=(-e "$f"); done
  tshark_plugin "${J[@]}" "${args[@]}" -T fields -E occurrence=a -E aggregator=, -e frame.number "${e[@]}" \
    >printed.txt 2>/dev/null || fail "tshark -T fields ${fields[*]} failed"
  python3 - "$pdml" printed.txt "${fields[@]}" <<'PY' || fail "-T fields ${args[*]} differs from the tree for ${fields[*]}"
import sys, xml.etree.ElementTree as ET
pdml, printed, names = sys.argv[1], sys.argv[2], sys.argv[3:]
tree = {}
for packet in ET.parse(pdml).getroot():
    values = {}
    for f in packet.iter("field"):
        values.setdefault(f.get("name"), []).append(f.get("show"))
    tree[values["frame.number"][0]] = [",".join(values.get(n, [])) for n in names]
rows = [l.rstrip("\n").split("\t") for l in open(printed)]
assert len(rows) == len(tree), (len(rows), len(tree))
for row in rows:
    if row[1:] != tree[row[0]]:
        sys.exit("frame %s: printed %s, the tree has %s" % (row[0], row[1:], tree[row[0]]))
PY
}
same_as_tree all.pdml "${PROC_FIELDS[@]}"
same_as_tree all.pdml proc.dst.cmdline proc.pid proc.name proc.src.label
# A field referenced by a filter, and another printed.
tshark_plugin "${J[@]}" -Y 'proc.src.uid == 1000' -T pdml >uid.pdml 2>/dev/null || fail "tshark -Y -T pdml failed"
same_as_tree uid.pdml proc.src.uid -- -Y 'proc.src.uid == 1000'
same_as_tree uid.pdml proc.dst.name -- -Y 'proc.src.uid == 1000'
# Two passes (-2): the second prints what the first found.
same_as_tree all.pdml proc.src.name proc.dst.pid -- -2
# A Lua listener that reads every field of the tree (without naming any) sees all the
# proc items -V shows, also where -T fields prints only one of them (tshark 4.0).
cat >walk.lua <<'LUA'
local listener, n = Listener.new(nil, nil, true), 0
function listener.packet()
  for _, fi in ipairs({ all_field_infos() }) do
    if fi.name:find("^proc%.") then n = n + 1 end
  end
end
function listener.draw() io.stdout:write("lua-proc-items " .. n .. "\n") end
LUA
chmod a+r walk.lua
lua_items() { tshark_plugin "${J[@]}" -X lua_script:walk.lua "$@" 2>/dev/null | sed -n 's/^lua-proc-items //p'; }
in_tree=$(lua_items -V) printed=$(lua_items -T fields -e frame.number -e proc.src.pid)
[ -n "$in_tree" ] && [ "$in_tree" -gt 0 ] || fail "the Lua listener saw no proc items under -V ('$in_tree')"
[ "$printed" = "$in_tree" ] || fail "a Lua listener saw $printed proc items under -T fields, $in_tree under -V"

# Preferences: a tighter slack loses the DNS query seen 0.4 s before its socket;
# no Info tag leaves the summary as tshark prints it without the plugin.
tshark_plugin "${J[@]}" -o proc.time_slack:100 -Y 'frame.number == 11' -T fields -e proc.src.name >slack.txt 2>/dev/null
[ "$(cat slack.txt)" = "" ] || fail "proc.time_slack:100 still matched frame 11: $(cat slack.txt)"
grep -q '^ *11 .*\[systemd-resolve 300 → ?\]$' summary.txt || fail "frame 11 without its tag at the default slack"
tshark_plugin "${J[@]}" -o proc.info_column:FALSE >no_tag.txt 2>/dev/null || fail "tshark info_column:FALSE failed"
tshark_bare -r fixture.pcap >bare.txt 2>/dev/null || fail "tshark without the plugin failed"
diff -u bare.txt no_tag.txt || fail "with the Info tag off, the summary differs from tshark's without the plugin"

# $SOCKOWNER_JOURNAL is the default journal.
SOCKOWNER_JOURNAL=$WORK/fixture.db tshark_plugin -r fixture.pcap "${FIELDS[@]}" >env.txt 2>/dev/null
diff -u fields.txt env.txt || fail "\$SOCKOWNER_JOURNAL not used as the default journal"
pass
