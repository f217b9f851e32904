#!/usr/bin/env bash
# sockowner annotate on the fixture (port and pid reuse, IPv6, UDP, ICMP, the kernel's
# packets, a tunnel), read back by whichever tshark runs the test (4.0 here; 4.4 and
# 4.6 in their chroots):
# - the plugin with no journal gives exactly the golden proc.* fields from the comments;
# - tshark without the plugin (and with it disabled) filters frame.comment;
# - 4.6 shows Apple's process information natively (frame.darwin.process_info.*);
# - every original packet, timestamp and comment is kept;
# - a ptcpdump comment (added with editcap) becomes proc.pid / proc.name;
# - damaged captures and journals: one line, exit 2, nothing at OUT.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd python3
need_cmd sqlite3

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
"$SOCKOWNER" annotate fixture.pcap -o annotated.pcapng --journal fixture.db 2>annotate.err ||
  fail "annotate failed: $(cat annotate.err)"
grep -Eq '^sockowner: 42 packets, [0-9]+ with an owner' annotate.err || fail "no summary: $(cat annotate.err)"
chmod a+r annotated.pcapng
NOJ=(-o proc.journal:"$WORK/no-such-journal.db")

# The plugin with no journal: the golden fields, from the comments alone.
FIELDS=(-T fields -E header=y -e frame.number)
for side in src dst; do
  for f in name pid ppid uid user exe cmdline container source match label; do FIELDS+=(-e "proc.$side.$f"); done
done
tshark_plugin -r annotated.pcapng "${NOJ[@]}" "${FIELDS[@]}" >fields.txt 2>err.txt || fail "tshark failed: $(cat err.txt)"
diff -u "$PLUGIN_TESTS_DIR/golden_fields.txt" fields.txt || fail "fields from the comments differ from golden_fields.txt"

# With a journal of this host that knows nothing of these packets (the fixture's, a
# month earlier): each packet neither end of which the journal knows takes its comment.
cp fixture.db elsewhere.db
sqlite3 elsewhere.db "PRAGMA journal_mode = DELETE;
  UPDATE sockets SET opened = opened - 2592000000000000, closed = coalesce(closed, opened + 1000000000) - 2592000000000000;
  UPDATE runs SET started = started - 2592000000000000, stopped = coalesce(stopped, started + 1000000000) - 2592000000000000" \
  >/dev/null || fail "cannot move the journal a month back"
chmod a+r elsewhere.db
tshark_plugin -r annotated.pcapng -o proc.journal:"$WORK/elsewhere.db" "${FIELDS[@]}" >elsewhere.txt 2>err.txt ||
  fail "tshark (elsewhere) failed: $(cat err.txt)"
diff -u "$PLUGIN_TESTS_DIR/golden_fields.txt" elsewhere.txt || fail "a journal knowing none of the packets hid the comments"

# Without the plugin, and with it disabled: the comments are there to filter.
curl_packets=$(awk -F'\t' 'NR > 1 && ($2 == "curl" || $13 == "curl")' fields.txt | wc -l)
[ "$curl_packets" -gt 0 ] || fail "the fixture has no curl packets"
for run in tshark_bare "tshark_plugin --disable-protocol proc"; do
  n=$($run -r annotated.pcapng -Y 'frame.comment contains "curl"' 2>/dev/null | wc -l)
  [ "$n" -eq "$curl_packets" ] || fail "$run: frame.comment contains \"curl\" matched $n packets, not $curl_packets"
done
tshark_bare -r annotated.pcapng -Y 'frame.comment contains "sockowner: curl 4242 \xe2\x86\x92 python3 17"' \
  -T fields -e frame.number >titles.txt 2>/dev/null
[ -s titles.txt ] || fail "no comment titled 'sockowner: curl 4242 → python3 17'"

# Every packet as it was: bytes, lengths, times.
for f in fixture.pcap annotated.pcapng; do
  # (4.6 lists the Darwin process information as a protocol of its own: not a change)
  tshark_bare -r $f -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.protocols 2>/dev/null |
    sed 's/\tdarwin:/\t/' >$f.frames
  tshark_bare -r $f -x 2>/dev/null | grep -E '^[0-9a-f]{4}  ' >$f.hex
done
cmp -s fixture.pcap.frames annotated.pcapng.frames || fail "packets changed: $(diff fixture.pcap.frames annotated.pcapng.frames | head -5)"
cmp -s fixture.pcap.hex annotated.pcapng.hex || fail "packet bytes changed"

# Apple's process information: native in 4.6 (the local process: the sender when a
# process sent it, else the receiver).
# The local process: column 2/3 the sender's name/pid, 13/14 the receiver's.
local_of() { awk -F'\t' 'NR > 1 { if ($2 != "" && $2 != "[kernel]") print $2, $3; else if ($13 != "") print $13, $14 }' fields.txt; }
local_curl=$(local_of | grep -c '^curl ')
curl_pids=$(local_of | awk '$1 == "curl" { print $2 }' | sort -u | tr '\n' ' ')
darwin=$(tshark_bare -r annotated.pcapng -Y 'frame.darwin.process_info.pname == "curl"' -T fields \
  -e frame.darwin.process_info.pid 2>/dev/null | sort -u | tr '\n' ' ')
if [ "$WS_ABI" = 4.6 ] || [ "$WS_ABI" \> 4.6 ]; then
  n=$(tshark_bare -r annotated.pcapng -Y 'frame.darwin.process_info.pname == "curl"' 2>/dev/null | wc -l)
  [ "$n" -eq "$local_curl" ] || fail "frame.darwin.process_info.pname == \"curl\" matched $n packets, not $local_curl"
  [ "$darwin" = "$curl_pids" ] || fail "curl's Darwin pids: '$darwin', not '$curl_pids'"
else
  echo "Wireshark $WS_ABI has no frame.darwin fields: read without them"
fi

# A ptcpdump capture: its comment names the packet's process, at one end or the other.
editcap -F pcapng -r fixture.pcap first.pcapng 1 || fail "cannot cut the first packet"
editcap -a "1:PID: 31337"$'\n'"Cmd: /usr/bin/wget"$'\n'"Args: wget http://x/" first.pcapng ptcpdump.pcapng ||
  fail "editcap -a failed"
chmod a+r first.pcapng ptcpdump.pcapng
got=$(tshark_plugin -r ptcpdump.pcapng "${NOJ[@]}" -Y 'proc.name == "wget" && proc.pid == 31337' -T fields \
  -e proc.pid -e proc.name 2>/dev/null)
[ "$got" = "31337	wget" ] || fail "ptcpdump's comment: proc.pid/proc.name '$got'"

# Compressed captures, as Wireshark reads them (gzip, zstd, lz4; by their own tools,
# from a file and from a pipe): the same output as from the capture itself, which is
# what tshark reads in them too.
for z in "gzip gz" "zstd zst" "lz4 lz4"; do
  set -- $z
  need_cmd "$1"
  "$1" -c <fixture.pcap >"fixture.pcap.$2" || fail "$1 failed"
  "$SOCKOWNER" annotate -q "fixture.pcap.$2" -o "from-$2.pcapng" --journal fixture.db 2>err.txt ||
    fail "annotate of a $1 capture: $(cat err.txt)"
  cmp -s "from-$2.pcapng" annotated.pcapng || fail "annotate of the $1 capture wrote other bytes than of the capture"
  "$SOCKOWNER" annotate -q - -o "piped-$2.pcapng" --journal fixture.db <"fixture.pcap.$2" 2>err.txt &&
    cmp -s "piped-$2.pcapng" annotated.pcapng || fail "annotate of a $1 capture from a pipe: $(cat err.txt)"
  [ "$(tshark -r "fixture.pcap.$2" 2>/dev/null | wc -l)" -eq 42 ] || fail "tshark does not read fixture.pcap.$2"
  head -c $(($(stat -c %s "fixture.pcap.$2") - 9)) "fixture.pcap.$2" >"truncated.$2"
done
gzip -c annotated.pcapng >once.gz
cat once.gz once.gz >twice.pcapng.gz  # two members of pcapng: two sections
"$SOCKOWNER" annotate -q twice.pcapng.gz -o twice.pcapng --journal fixture.db 2>err.txt || fail "two gzip members: $(cat err.txt)"
[ "$(capinfos -c -M twice.pcapng | sed -n 's/^Number of packets: *//p')" = 84 ] || fail "two gzip members: not 84 packets"

# Damage: one line naming the problem, exit 2, nothing written.
head -c $(($(stat -c %s fixture.pcap) - 7)) fixture.pcap >truncated.pcap
head -c 2000 annotated.pcapng >truncated.pcapng
printf 'GET / HTTP/1.1\r\n\r\n' >text.pcap
gzip -c fixture.pcap.gz >twice-compressed.gz
(cat fixture.pcap.gz; echo trailing) >trailing.gz
need_cmd xz
xz -c fixture.pcap >fixture.pcap.xz
for bad in truncated.pcap truncated.pcapng text.pcap truncated.gz truncated.zst truncated.lz4 twice-compressed.gz \
           trailing.gz fixture.pcap.xz; do
  rc=0
  "$SOCKOWNER" annotate $bad -o out.pcapng --journal fixture.db >out.txt 2>err.txt || rc=$?
  [ $rc -eq 2 ] || fail "$bad: exit $rc, not 2"
  [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^sockowner: .*$bad" err.txt || fail "$bad: not one line naming it: $(cat err.txt)"
  [ ! -e out.pcapng ] || fail "$bad: left out.pcapng behind"
  ! ls out.pcapng.* >/dev/null 2>&1 || fail "$bad: left a temporary file"
  echo "$bad: $(cat err.txt)"
done
# A missing or damaged journal: lookup's words, exit 2.
printf 'not a database' >bad.db
for j in "$WORK/absent.db" bad.db; do
  rc=0; "$SOCKOWNER" annotate fixture.pcap -o out.pcapng --journal "$j" 2>ann.err || rc=$?
  "$SOCKOWNER" lookup --journal "$j" tcp 127.0.0.1:1 127.0.0.1:2 2>lookup.err || true
  [ $rc -eq 2 ] && cmp -s ann.err lookup.err || fail "journal $j: annotate ($rc) '$(cat ann.err)' vs lookup '$(cat lookup.err)'"
  [ ! -e out.pcapng ] || fail "journal $j: left out.pcapng behind"
done
# OUT that is not a regular file is written, not replaced: a FIFO's reader gets the
# same bytes as a file, and a device node (/dev/null's, made here so that a failure
# cannot break the machine's) stays one.
mkfifo out.fifo
cat out.fifo >from-fifo.pcapng &
reader=$!
"$SOCKOWNER" annotate -q fixture.pcap -o out.fifo --journal fixture.db 2>err.txt || fail "annotate into a FIFO: $(cat err.txt)"
wait $reader
[ -p out.fifo ] && cmp -s from-fifo.pcapng annotated.pcapng || fail "annotate into a FIFO replaced it or wrote other bytes"
# A symbolic link stays one: the file it names gets the capture, made when the link
# points at nothing yet, replaced when it exists.
mkdir -p elsewhere && ln -s elsewhere/real.pcapng link.pcapng
for round in new existing; do
  "$SOCKOWNER" annotate -q fixture.pcap -o link.pcapng --journal fixture.db 2>err.txt ||
    fail "annotate into a link ($round): $(cat err.txt)"
  [ -L link.pcapng ] && cmp -s elsewhere/real.pcapng annotated.pcapng ||
    fail "annotate -o LINK ($round file) replaced the link or wrote other bytes"
done
if [ "$(id -u)" -eq 0 ]; then
  mknod null c 1 3
  "$SOCKOWNER" annotate -q fixture.pcap -o null --journal fixture.db 2>err.txt || fail "annotate into a device: $(cat err.txt)"
  [ -c null ] || fail "annotate -o DEVICE replaced the device with a file"
  ! ls null.sockowner-* >/dev/null 2>&1 || fail "annotate -o DEVICE left a temporary file"
fi
rc=0; "$SOCKOWNER" annotate fixture.pcap -o fixture.pcap --journal fixture.db 2>err.txt || rc=$?
[ $rc -eq 2 ] && cmp -s fixture.pcap.frames <(tshark_bare -r fixture.pcap -T fields -e frame.time_epoch -e frame.len \
  -e frame.cap_len -e frame.protocols 2>/dev/null) || fail "annotate onto its own input: exit $rc, $(cat err.txt)"
pass
