#!/usr/bin/env bash
# Rotation loses no row, whatever was moved: `mv journal.db journal.db.1` alone (what
# logrotate does) and SIGHUP while sockets keep opening: the moved file takes its -wal
# and -shm along, gets everything up to the switch and ends self-contained (no -wal or
# -shm left), the new file everything after; together they hold every socket.
# `sockowner snapshot` copies the live journal consistently into one file (and, with
# --since, the last minutes of it).
. "$TESTS_DIR/lib.sh"
need_root "procfs mode must see every process's fd table"
need_cmd sqlite3
J=$WORK/j.db
SOCKS=$WORK/socks.txt
start_collector "$J" --mode procfs --poll-interval 20
python3 - "$SOCKS" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-rotation")
held = []
end = time.time() + 3
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); held.append(s)
    with open(sys.argv[1], "a") as f:
        f.write(f"{os.getpid()} {s.getsockname()[1]}\n")
    time.sleep(0.03)
    if len(held) > 4:
        held.pop(0).close()
time.sleep(0.3)
PY
STREAM=$!
sleep 1
mv "$J" "$J.1"  # the file alone: its -wal and -shm stay behind
kill -HUP "$COLLECTOR_PID"
wait_until 5 grep -q 'SIGHUP: reopening' "$WORK/collector.log" || fail "no reopen"
sleep 0.5
"$SOCKOWNER" snapshot "$WORK/snap.db" --journal "$J" || fail "snapshot"
"$SOCKOWNER" snapshot "$WORK/snap.db" --journal "$J" 2>/dev/null && fail "snapshot overwrote a file"
"$SOCKOWNER" snapshot "$WORK/recent.db" --journal "$J" --since -10m || fail "snapshot --since"
wait "$STREAM"
sleep 0.5
stop_collector

for f in "$J.1" "$J" "$WORK/snap.db" "$WORK/recent.db"; do
  [ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] || fail "$f damaged"
done
[ ! -e "$J.1-wal" ] && [ ! -e "$J.1-shm" ] || fail "the rotated file is not self-contained: $(ls "$WORK")"
[ ! -e "$WORK/snap.db-wal" ] || fail "the snapshot has a -wal"
"$SOCKOWNER" stats --journal "$WORK/snap.db" | grep -q 'intervals' || fail "the snapshot is not a journal"
"$SOCKOWNER" stats --journal "$WORK/recent.db" | grep -q 'intervals' || fail "the --since snapshot is not a journal"
udp_recorded "$SOCKS" "$J.1" "$J" || fail "rows lost across the rotation"
before=$(sqlite3 "$J.1" "SELECT count(*) FROM sockets s JOIN processes p ON p.id = s.process_id WHERE p.comm = 'so-rotation'")
[ "$before" -gt 10 ] || fail "the rotated file holds only $before of the stream's sockets: rows before the switch lost"
echo "ok: $before sockets in the rotated file, self-contained"
pass
