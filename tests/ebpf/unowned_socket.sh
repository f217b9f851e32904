#!/usr/bin/env bash
# A socket no fd table holds (a kernel socket such as an NFS client's; here a listener
# older than the programs whose only reference is an SCM_RIGHTS message in flight)
# costs one read of every process's fd table, at the first resync, not one at every
# resync: on a host of thousands of processes that is a second of CPU each time.
# Event losses (a 64 KiB ring buffer, a stopped collector) force two more resyncs.
. "$TESTS_DIR/lib.sh"
need_root "loading BPF programs"

python3 - "$WORK/port" <<'PY' &
import array, socket, sys, time
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [lst.fileno()]))])
port = lst.getsockname()[1]
lst.close()  # only the message in flight holds it now
with open(sys.argv[1] + ".tmp", "w") as f:
    print(port, file=f)
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
PY
CLEANUP_PIDS+=($!)
wait_until 5 test -s "$WORK/port" || fail "no listener"
port=$(cat "$WORK/port")
ss -tlnpH "sport = :$port" | grep -q LISTEN || fail "listener on $port not found"
! ss -tlnpH "sport = :$port" | grep -q 'users:' || fail "a process still holds the listener"

losses_at_least() { [ "$(grep -c 'events lost' "$WORK/collector.log")" -ge "$1" ]; }
J=$WORK/j.db
start_ebpf_collector "$J" --ring-buffer 64K
for round in 1 2; do
  kill -STOP "$COLLECTOR_PID"
  python3 - <<'PY'
import socket
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(512)
for _ in range(400):
    c = socket.create_connection(lst.getsockname()); a, _ = lst.accept()
    a.close(); c.close()
PY
  kill -CONT "$COLLECTOR_PID"
  wait_until 5 losses_at_least "$round" ||
    { cat "$WORK/collector.log" >&2; fail "round $round: no loss reported"; }
done
sleep 0.5
stop_collector

read -r resyncs scans unowned < <(run_counters "$J" ebpf.resyncs iterator.fd_scans iterator.unowned)
echo "resyncs $resyncs, fd table scans $scans, unowned sockets counted $unowned"
[ "$resyncs" -ge 3 ] || fail "$resyncs resyncs: the losses did not trigger two"
[ "$unowned" -ge 3 ] || fail "the listener was not seen unowned at each resync ($unowned)"
[ "$scans" -eq 1 ] || fail "$scans scans of the fd tables for sockets no process holds (expected 1)"
pass
