#!/usr/bin/env bash
# Beyond the ring buffer's capacity events are lost: the loss is counted and the
# snapshot resyncs, so sockets that are still open are attributed all the same.
# A 64 KiB ring buffer (a few hundred events) and a stopped collector make it
# overflow: 20 connections open (their events fit), 200 more open and stay open, then
# the first 20 close (those events are lost). After the resync the 200 are attributed
# and none of the 20 is left open.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
N=200
start_ebpf_collector "$J" --ring-buffer 64K
kill -STOP "$COLLECTOR_PID"
python3 - "$WORK/conns.txt" "$N" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-overflow")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1024)
def connect(n):
    out = []
    for _ in range(n):
        c = socket.create_connection(lst.getsockname()); a, _ = lst.accept()
        out.append((c, a))
    return out
early = connect(20)
conns = connect(int(sys.argv[2]))
early_ports = [c.getsockname()[1] for c, _ in early]
for c, a in early:
    c.close(); a.close()
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), lst.getsockname()[1], *early_ports, file=f)
    for c, _ in conns:
        print(c.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
HOLDER=$!; CLEANUP_PIDS+=("$HOLDER")
wait_until 10 test -s "$WORK/conns.txt" || { kill -CONT "$COLLECTOR_PID"; fail "connections not set up"; }
kill -CONT "$COLLECTOR_PID"
wait_until 5 grep -q 'events lost' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "no loss reported"; }
sleep 0.5
stop_collector

"$SOCKOWNER" stats --journal "$J" --json >"$WORK/stats.json"
read -r lost resyncs rb < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["runs"][-1]["counters"]
print(c["ebpf.lost"], c["ebpf.resyncs"], c["ebpf.ring_buffer_bytes"])' "$WORK/stats.json")
[ "$rb" -eq 65536 ] || fail "ring buffer $rb bytes, expected 65536"
[ "$lost" -gt 0 ] || fail "no lost events counted"
[ "$resyncs" -ge 2 ] || fail "$resyncs resyncs: the loss did not trigger one"
echo "ok: $lost events lost, $resyncs resyncs"

{ read -r pid lport early; mapfile -t cports; } <"$WORK/conns.txt"
intervals "$J" >"$WORK/intervals.txt"
missing=0
for cp in "${cports[@]}"; do
  for pair in "127.0.0.1:$cp 127.0.0.1:$lport" "127.0.0.1:$lport 127.0.0.1:$cp"; do
    grep -q "^tcp $pair $pid so-overflow .* open$" "$WORK/intervals.txt" || { missing=$((missing + 1)); echo "missing: $pair" >&2; }
  done
done
[ "$missing" -eq 0 ] || fail "$missing of $((2 * N)) sockets not attributed to $pid after the loss"
echo "ok: all $((2 * N)) sockets attributed to $pid"
recorded=0
for cp in $early; do
  while read -r line; do
    recorded=$((recorded + 1))
    case "$line" in *" closed") ;; *) fail "closed while events were lost, still open in the journal: $line" ;; esac
  done < <(grep -E "^tcp 127.0.0.1:($cp 127.0.0.1:$lport|$lport 127.0.0.1:$cp) " "$WORK/intervals.txt")
done
[ "$recorded" -gt 0 ] || fail "none of the early connections recorded: the test proves nothing"
echo "ok: $recorded early sockets recorded, all closed"
pass
