#!/usr/bin/env bash
# Beyond the ring buffer's capacity events are lost: the loss is counted and the
# snapshot resyncs, so sockets that are still open are attributed all the same.
# A 16 KiB ring buffer (about a hundred events) and a stopped collector make it
# overflow; 200 connections open meanwhile and stay open.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
N=200
start_ebpf_collector "$J" --ring-buffer 16K
kill -STOP "$COLLECTOR_PID"
python3 - "$WORK/conns.txt" "$N" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-overflow")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(1024)
conns = []
for _ in range(int(sys.argv[2])):
    c = socket.create_connection(lst.getsockname()); a, _ = lst.accept()
    conns.append((c, a))
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), lst.getsockname()[1], file=f)
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
[ "$rb" -eq 16384 ] || fail "ring buffer $rb bytes, expected 16384"
[ "$lost" -gt 0 ] || fail "no lost events counted"
[ "$resyncs" -ge 2 ] || fail "$resyncs resyncs: the loss did not trigger one"
echo "ok: $lost events lost, $resyncs resyncs"

{ read -r pid lport; mapfile -t cports; } <"$WORK/conns.txt"
intervals "$J" >"$WORK/intervals.txt"
missing=0
for cp in "${cports[@]}"; do
  for pair in "127.0.0.1:$cp 127.0.0.1:$lport" "127.0.0.1:$lport 127.0.0.1:$cp"; do
    grep -q "^tcp $pair $pid so-overflow .* open$" "$WORK/intervals.txt" || { missing=$((missing + 1)); echo "missing: $pair" >&2; }
  done
done
[ "$missing" -eq 0 ] || fail "$missing of $((2 * N)) sockets not attributed to $pid after the loss"
echo "ok: all $((2 * N)) sockets attributed to $pid"
pass
