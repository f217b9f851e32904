#!/usr/bin/env bash
# sockowner annotate stopped by a signal (Ctrl-C is SIGINT; SIGTERM and SIGHUP the same):
# - reading a file: it stops, says so in one line, exits 128 + the signal's number, and
#   leaves nothing at OUT, neither the capture nor its temporary file;
# - reading a pipe (dumpcap -w - | sockowner annotate -): the first signal lets the
#   capture end (its program got the same signal) and OUT gets every packet; a second
#   stops at once, a read waiting on the quiet pipe included, and OUT gets those read.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd python3
need_cmd capinfos

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
S=$SOCKOWNER
packets() { capinfos -c -M "$1" 2>/dev/null | sed -n 's/^Number of packets: *//p'; }

# A file long enough to be caught while read: the fixture's first packet 400 000 times.
python3 - fixture.pcap big.pcap 400000 <<'PY' || fail "cannot make big.pcap"
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
header, (sec, usec, caplen, length) = data[:24], struct.unpack("<IIII", data[24:40])
frame = data[40:40 + caplen]
with open(dst, "wb") as f:
    f.write(header)
    f.write(b"".join(struct.pack("<IIII", sec + i // 1000000, i % 1000000, caplen, length) + frame for i in range(n)))
PY

for sig in TERM INT; do
  rm -f out.pcapng out.pcapng.sockowner-*
  # (A script's background job starts with SIGINT ignored; annotate sets its own handler.)
  "$S" annotate big.pcap -o out.pcapng --journal fixture.db 2>stop.err &
  ann=$!
  wait_until 10 sh -c 'ls out.pcapng.sockowner-* >/dev/null 2>&1' || fail "no temporary file appeared"
  kill -STOP "$ann"  # caught reading: the signal lands mid-capture
  kill -"$sig" "$ann"
  kill -CONT "$ann"
  wait "$ann"
  rc=$?
  [ "$rc" -eq $((128 + $(kill -l "$sig"))) ] || fail "SIG$sig: exit $rc ($(cat stop.err))"
  [ "$(wc -l <stop.err)" -eq 1 ] && grep -q "stopped by SIG$sig after [0-9]* packets: nothing written at out.pcapng" stop.err ||
    fail "SIG$sig: $(cat stop.err)"
  ls out.pcapng* >/dev/null 2>&1 && fail "SIG$sig left $(ls out.pcapng*)"
done

# A pipe, one signal: annotate goes on to the end of the stream.
mkfifo in.fifo
(cat fixture.pcap; exec sleep 2) >in.fifo &
writer=$!
"$S" annotate in.fifo -o piped.pcapng --journal fixture.db 2>piped.err &
ann=$!
CLEANUP_PIDS+=("$writer" "$ann")
sleep 0.5
kill -TERM "$ann"
wait "$ann" || fail "a pipe's first signal: exit $? ($(cat piped.err))"
[ "$(packets piped.pcapng)" = 42 ] || fail "a pipe's first signal: $(packets piped.pcapng) packets, not 42"
grep -q '^sockowner: 42 packets' piped.err || fail "a pipe's first signal: $(cat piped.err)"

# A pipe, two signals: annotate stops while the pipe is quiet and keeps what it read.
(cat fixture.pcap; exec sleep 30) >in.fifo &
writer=$!
CLEANUP_PIDS+=("$writer")
"$S" annotate in.fifo -o stopped.pcapng --journal fixture.db 2>stopped.err &
ann=$!
sleep 0.5
kill -TERM "$ann"
sleep 0.2
kill -INT "$ann"
wait_until 5 sh -c "! kill -0 $ann 2>/dev/null" || fail "a second signal did not stop annotate on a quiet pipe"
wait "$ann" || fail "a pipe's second signal: exit $? ($(cat stopped.err))"
[ "$(packets stopped.pcapng)" = 42 ] || fail "a pipe's second signal: $(packets stopped.pcapng) packets, not 42"
grep -q 'stopped by a second signal' stopped.err || fail "a pipe's second signal: $(cat stopped.err)"
ls stopped.pcapng.sockowner-* >/dev/null 2>&1 && fail "a temporary file was left"
pass
