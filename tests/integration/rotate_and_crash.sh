#!/usr/bin/env bash
# SIGHUP after the journal was moved away (logrotate) starts a new file that carries
# on with the live sockets; kill -9 loses at most the last flush, never the file.
. "$TESTS_DIR/lib.sh"
need_root "procfs mode must see every process's fd table"

J=$WORK/j.db
start_collector "$J" --mode procfs --poll-interval 100
python3 - "$WORK/conn.txt" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-long-lived")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), cli.getsockname()[1], lst.getsockname()[1], time.time(), file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
L=$!; CLEANUP_PIDS+=("$L")
wait_until 5 test -s "$WORK/conn.txt" || fail "connection not set up"
read -r pid cport lport t_open <"$WORK/conn.txt"
sleep 0.4

mv "$J" "$J.1"; mv "$J-wal" "$J.1-wal" 2>/dev/null; mv "$J-shm" "$J.1-shm" 2>/dev/null
kill -HUP "$COLLECTOR_PID"
wait_until 5 test -s "$J" || fail "no new journal after SIGHUP"
wait_until 5 grep -q 'SIGHUP: reopening journal' "$WORK/collector.log" || fail "no reopen message"
sleep 0.4
"$SOCKOWNER" lookup --journal "$J" --json tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/l.json" ||
  fail "the new journal does not know the live connection"
[ "$(json_get "$WORK/l.json" pid)" = "$pid" ] || fail "new journal: wrong owner"
# In the old file the interval was closed at the rotation, the run stopped.
t_before=$(python3 -c "print($t_open + 0.3)")  # while the first file was written
"$SOCKOWNER" lookup --journal "$J.1" --json --at "$t_before" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/old.json" ||
  fail "the old journal lost the connection"
[ -n "$(json_get "$WORK/old.json" closed)" ] || fail "interval left open in the rotated file"
"$SOCKOWNER" stats --journal "$J.1" | grep -q "\.\. 20" || fail "old run not marked stopped"

# A SIGHUP without a rotation changes nothing.
kill -HUP "$COLLECTOR_PID"
wait_until 5 grep -q 'SIGHUP: journal .* unchanged' "$WORK/collector.log" || fail "no 'unchanged' message"

# kill -9 in the middle of a stream of new sockets: the file stays sound.
python3 -c '
import socket, time
end = time.time() + 1.5
while time.time() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); time.sleep(0.01); s.close()
' &
STREAM=$!
sleep 1
kill -9 "$COLLECTOR_PID"; wait "$COLLECTOR_PID" 2>/dev/null
wait "$STREAM"
[ "$(sqlite3 "$J" 'PRAGMA integrity_check')" = ok ] || fail "journal damaged by kill -9"
"$SOCKOWNER" stats --journal "$J" >/dev/null || fail "journal unreadable after kill -9"
"$SOCKOWNER" lookup --journal "$J" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >/dev/null || fail "committed rows lost"

# The next collector adopts the interval the killed one left open.
start_collector "$J" --mode procfs --poll-interval 100
sleep 0.4
rows=$(intervals "$J" | awk -v s="127.0.0.1:$cport" '$2==s' | wc -l)
[ "$rows" -eq 1 ] || { intervals "$J" >&2; fail "$rows intervals for one connection after the crash"; }
stop_collector
# The killed run is not "running" forever: the next run closed it, and says so.
python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
killed = runs[-2]
assert killed["stopped"] and "ended without stopping" in killed["reason"], killed
assert runs[-1]["stopped"] and "ended without" not in runs[-1]["reason"], runs[-1]' \
  <("$SOCKOWNER" stats --journal "$J" --json) || fail "the killed run is still shown running"
pass
