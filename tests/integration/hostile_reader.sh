#!/usr/bin/env bash
# A member of the journal's group can open it, its -wal and its -shm: whatever such a
# reader holds, the collector neither stops nor waits nor grows without bound.
#  1. flock() on the journal while no collector runs: the next one starts.
#  2. A read lock on SQLite's WAL write-lock byte (in -shm): writes fail fast and are
#     retried; nothing is lost once the reader lets go; SIGHUP after a rotation works.
#  3. A read transaction kept open (no checkpoint can reset the log): the log stops at
#     its bound (--max-size 4M: 1 MiB), new rows wait in memory, then land.
. "$TESTS_DIR/lib.sh"
need_root "a reader of another uid"
J=$WORK/j.db
SOCKS=$WORK/socks.txt
FLAGS=$WORK/flags  # the reader's "holding", our "release"
mkdir -m 0777 "$FLAGS"

reader() {  # reader WHAT: holds WHAT as uid/gid 65534 until $WORK/release exists
  rm -f "$FLAGS/release" "$FLAGS/holding"
  setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - "$J" "$1" "$FLAGS" <<'PY' &
import fcntl, os, sqlite3, sys, time
path, what, work = sys.argv[1:4]
if what == "flock":
    fd = os.open(path, os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX)
elif what == "wal-lock":
    fd = os.open(path + "-shm", os.O_RDONLY); fcntl.lockf(fd, fcntl.LOCK_SH, 1, 120)  # WAL_WRITE_LOCK
elif what == "snapshot":
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    db.execute("BEGIN"); db.execute("SELECT count(*) FROM sockets").fetchone()
open(os.path.join(work, "holding"), "w").close()
while not os.path.exists(os.path.join(work, "release")):
    time.sleep(0.05)
PY
  READER=$!
  CLEANUP_PIDS+=("$READER")
  wait_until 10 test -e "$FLAGS/holding" || fail "the reader could not take its $1"
}
release() { touch "$FLAGS/release"; wait "$READER"; }
# sockets NAME N: a process NAME opening N UDP sockets, one every 20 ms, each kept 100 ms
# ("PID PORT" lines appended to $SOCKS).
sockets() {
  python3 - "$@" "$SOCKS" <<'PY'
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); held.append(s)
    with open(sys.argv[3], "a") as f:
        f.write(f"{os.getpid()} {s.getsockname()[1]}\n")
    time.sleep(0.02)
    if len(held) > 5:
        held.pop(0).close()
time.sleep(0.3)
PY
}

start_collector "$J" --mode procfs --poll-interval 20 --max-size 4M
sleep 0.3
stop_collector
chgrp 65534 "$J" "$J-wal" "$J-shm" && chmod 0640 "$J" "$J-wal" "$J-shm" && chmod 0755 "$WORK" || fail "cannot share the journal"

reader flock
start_collector "$J" --mode procfs --poll-interval 20 --max-size 4M
kill -0 "$COLLECTOR_PID" || fail "the collector did not start while a reader held flock on the journal"
release
echo "ok: a reader's flock on the journal is not the collector's lock"

reader wal-lock
sockets so-locked 40
wait_until 5 grep -q 'keeping .* operations in memory and retrying' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no warning while a reader held the WAL write lock"; }
mv "$J" "$J.1"; mv "$J-wal" "$J.1-wal"; mv "$J-shm" "$J.1-shm"
kill -HUP "$COLLECTOR_PID"
wait_until 5 test -s "$J" || { cat "$WORK/collector.log" >&2; fail "no new journal after SIGHUP"; }
kill -0 "$COLLECTOR_PID" || fail "the collector died"
release
sleep 1.5
echo "ok: writes retried while the WAL lock was held, SIGHUP went through"

chgrp 65534 "$J" "$J-wal" "$J-shm"
reader snapshot
sockets so-snapshot 150
wait_until 5 grep -q 'a reader holds the journal.s write-ahead log at' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "the log was not bounded while a reader held a snapshot"; }
wal=$(stat -c %s "$J-wal")
[ "$wal" -le $((2 << 20)) ] || fail "the write-ahead log grew to $wal bytes past its 1 MiB bound"
kill -0 "$COLLECTOR_PID" || fail "the collector died"
release
sleep 1.5
stop_collector
echo "ok: the log stopped at $wal bytes while a reader held a snapshot"

# Nothing lost: every socket is in the old or the new file.
udp_recorded "$SOCKS" "$J.1" "$J" || fail "sockets lost"
pass
