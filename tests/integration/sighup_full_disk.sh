#!/usr/bin/env bash
# SIGHUP after a rotation, on a full disk: the new journal cannot be created, so the
# collector keeps writing (queuing for) the old file and retries the reopen every
# second; nothing queued is lost. Once there is space, the new file carries on with the
# live sockets and the old one gets everything it had queued, its intervals closed.
. "$TESTS_DIR/lib.sh"
need_root "mounting a small tmpfs; procfs mode must see every process's fd table"
D=$WORK/fs
small_tmpfs "$D" 2m

J=$D/j.db
start_collector "$J" --mode procfs --poll-interval 50
conns() {  # conns NAME N SECONDS OUTFILE: a process NAME holding N connections for SECONDS
  python3 - "$@" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(128)
held = []
for _ in range(int(sys.argv[2])):
    c = socket.create_connection(lst.getsockname()); a, _ = lst.accept()
    held.append((c, a))
with open(sys.argv[4] + ".tmp", "w") as f:
    print(os.getpid(), lst.getsockname()[1], *[c.getsockname()[1] for c, _ in held], file=f)
os.rename(sys.argv[4] + ".tmp", sys.argv[4])
time.sleep(float(sys.argv[3]))
PY
  CLEANUP_PIDS+=("$!")
}
conns so-before 10 1.5 "$WORK/before.txt"
BEFORE=$!
wait_until 5 test -s "$WORK/before.txt" || fail "first connections"
sleep 0.5

dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null || true  # until ENOSPC
conns so-during 20 60 "$WORK/during.txt"
wait_until 5 test -s "$WORK/during.txt" || fail "second connections"
wait_until 5 grep -q 'keeping .* operations in memory and retrying' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no warning while the disk was full"; }

mv "$J" "$J.1"; mv "$J-wal" "$J.1-wal"; mv "$J-shm" "$J.1-shm"
kill -HUP "$COLLECTOR_PID"
wait_until 5 grep -q 'still writing the old journal file; retrying every second' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no warning that the reopen failed"; }
wait "$BEFORE"  # so-before's connections close while the disk is full
sleep 1.5
kill -0 "$COLLECTOR_PID" || { cat "$WORK/collector.log" >&2; fail "the collector died when the reopen failed"; }

rm -f "$D/filler"
wait_until 5 grep -q "journal $J reopened" "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "no reopen"; }
sleep 0.5
stop_collector

# The old file: so-before's intervals closed, so-during's opened then closed at the
# rotation. The new file: so-during's, open.
intervals "$J.1" >"$WORK/old.txt"
intervals "$J" >"$WORK/new.txt"
check() {  # check FILE PORTS_FILE NAME STATE
  local pid lport cports cp pair missing=0
  read -r pid lport cports <"$2"
  for cp in $cports; do
    for pair in "127.0.0.1:$cp 127.0.0.1:$lport" "127.0.0.1:$lport 127.0.0.1:$cp"; do
      grep -q "^tcp $pair $pid $3 procfs $4$" "$1" || missing=$((missing + 1))
    done
  done
  [ "$missing" -eq 0 ] || { cat "$1" >&2; fail "$(basename "$1"): $missing intervals of $3 not $4"; }
}
check "$WORK/old.txt" "$WORK/before.txt" so-before closed
check "$WORK/old.txt" "$WORK/during.txt" so-during closed
check "$WORK/new.txt" "$WORK/during.txt" so-during open
grep -q so-before "$WORK/new.txt" && fail "so-before, closed before the reopen, is in the new file"
[ "$(sqlite3 "$J.1" 'SELECT count(*) FROM runs WHERE stopped IS NULL')" = 0 ] || fail "the old file's run is not stopped"
echo "ok: nothing lost across a reopen that waited for space"
pass
