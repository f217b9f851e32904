#!/usr/bin/env bash
# A restarted collector gives the answers of one that never stopped: the programs stay
# attached through their pinned links, what happened while no collector ran waits in
# the pinned ring buffer, and every socket keeps its identity (cookie) and owner. A
# pre-fork server (master listens, two workers accept; the second never reads, so the
# kernel still holds the listener's owner for its sockets) accepts before the stop and
# while no collector runs: every connection stays its worker's, one interval each.
# `sockowner cleanup` then detaches everything.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
start_ebpf_collector "$J"
conn() {  # conn NAME OUTFILE HOLD: a named process with a TCP connection
  python3 - "$@" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
with open(sys.argv[2] + ".tmp", "w") as f:
    print(os.getpid(), cli.getsockname()[1], lst.getsockname()[1], file=f)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(float(sys.argv[3]))
PY
}
clients() {  # clients PORT N: N connections to PORT, held open
  python3 - "$@" <<'PY' &
import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
for c in cs: c.send(b"hello")
time.sleep(60)
PY
  CLEANUP_PIDS+=("$!")
}
conn so-before "$WORK/a.txt" 60
A=$!; CLEANUP_PIDS+=("$A")
python3 "$TESTS_DIR/ebpf/prefork.py" "$WORK/prefork" 0 2 idle-second &
MASTER=$!; CLEANUP_PIDS+=("$MASTER")
wait_until 5 test -s "$WORK/a.txt" || fail "first connection"
wait_until 5 test -s "$WORK/prefork.port" || fail "pre-fork server did not start"
port=$(cat "$WORK/prefork.port")
clients "$port" 2
wait_until 5 has_lines "$WORK/prefork" 2 || fail "workers did not accept"
sleep 0.2
stop_collector
links=$(ls "$PIN_DIR" | grep -c '^link_')
[ "$links" -gt 0 ] || fail "no pinned links after the collector stopped"
mapfile -t link_ids < <(for l in "$PIN_DIR"/link_*; do bpftool link show pinned "$l" | sed -n 's/^\([0-9]*\):.*/\1/p'; done)
[ "${#link_ids[@]}" -eq "$links" ] || fail "cannot read the pinned links' ids"

# While no collector runs: a connection that opens and closes, from a process that
# exits; two more connections the workers accept.
conn so-while-down "$WORK/b.txt" 0.2
B=$!
wait "$B"
[ -s "$WORK/b.txt" ] || fail "second connection"
clients "$port" 2
wait_until 5 has_lines "$WORK/prefork" 4 || fail "workers did not accept while the collector was down"
CLEANUP_PIDS+=($(awk '{print $1}' "$WORK/prefork" | sort -u))
sleep 0.2

start_ebpf_collector "$J"
grep -q "reusing $links pinned programs" "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "pinned programs not reused"; }
sleep 0.3
check() {  # check FILE NAME
  read -r pid cport lport <"$1"
  "$SOCKOWNER" lookup --journal "$J" --json --at "$3" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/l.json" ||
    fail "$2: no owner for 127.0.0.1:$cport -> 127.0.0.1:$lport"
  read -r p n < <(json_fields "$WORK/l.json" pid name)
  [ "$p" = "$pid" ] && [ "$n" = "$2" ] || fail "$2: owner $p $n, expected $pid $2"
  echo "ok $2: $p $n"
}
check "$WORK/a.txt" so-before now
check "$WORK/b.txt" so-while-down -1s
# The first run's open interval was carried over, not duplicated.
read -r _ acport alport <"$WORK/a.txt"
rows=$(intervals "$J" | awk -v s="127.0.0.1:$acport" '$2==s' | wc -l)
[ "$rows" -eq 1 ] || { intervals "$J" >&2; fail "$rows intervals for the connection that lived through the restart"; }
# Every pre-fork connection: its worker's, never the master's, one interval.
n=0
while read -r worker sport cport; do
  "$SOCKOWNER" lookup --journal "$J" --json tcp "127.0.0.1:$sport" "127.0.0.1:$cport" >"$WORK/l.json" ||
    fail "no owner for the accepted socket $sport -> $cport"
  read -r pid name < <(json_fields "$WORK/l.json" pid name)
  [ "$pid" = "$worker" ] && [ "$name" = so-worker ] ||
    { intervals "$J" >&2; fail "accepted socket :$cport owned by $pid ($name), its worker is $worker (master $MASTER)"; }
  rows=$(intervals "$J" | awk -v s="127.0.0.1:$sport" -v c="127.0.0.1:$cport" '$2==s && $3==c' | wc -l)
  [ "$rows" -eq 1 ] || { intervals "$J" >&2; fail "$rows intervals for the accepted socket :$cport"; }
  n=$((n + 1))
done <"$WORK/prefork"
[ "$n" -eq 4 ] || fail "$n pre-fork connections checked, expected 4"
echo "ok: 4 pre-fork connections, each its worker's, across the restart"
stop_collector

"$SOCKOWNER" cleanup --pin-dir "$PIN_DIR" | grep -q 'removed' || fail "cleanup"
[ ! -e "$PIN_DIR" ] || fail "pins left after cleanup"
for id in "${link_ids[@]}"; do
  ! bpftool link show id "$id" >/dev/null 2>&1 || fail "link $id still attached after cleanup"
done
pass
