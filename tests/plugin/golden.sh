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
  for f in name pid ppid uid user exe cmdline container source match; do FIELDS+=(-e "proc.$side.$f"); done
done

tshark_plugin "${J[@]}" "${FIELDS[@]}" >fields.txt 2>err.txt || fail "tshark failed: $(cat err.txt)"
[ ! -s err.txt ] || fail "tshark complained: $(cat err.txt)"
tshark_plugin "${J[@]}" >summary.txt 2>/dev/null || fail "tshark (summary) failed"
tshark_plugin "${J[@]}" -q -z proc,tree >stats.txt 2>/dev/null || fail "tshark -z proc,tree failed"

if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
  cp fields.txt "$PLUGIN_TESTS_DIR/golden_fields.txt"
  cp summary.txt "$PLUGIN_TESTS_DIR/golden_summary.txt"
  cp stats.txt "$PLUGIN_TESTS_DIR/golden_stats.txt"
  echo "golden files rewritten"
fi
diff -u "$PLUGIN_TESTS_DIR/golden_fields.txt" fields.txt || fail "fields differ from golden_fields.txt"
diff -u "$PLUGIN_TESTS_DIR/golden_summary.txt" summary.txt || fail "summary differs from golden_summary.txt"
diff -u "$PLUGIN_TESTS_DIR/golden_stats.txt" stats.txt || fail "statistics differ from golden_stats.txt"

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
