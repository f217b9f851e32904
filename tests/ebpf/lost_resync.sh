#!/usr/bin/env bash
# Beyond the ring buffer's capacity events are lost: the loss is counted and the
# snapshot resyncs, so sockets that are still open are attributed all the same.
# A 64 KiB ring buffer (a few hundred events) and a stopped collector make it
# overflow: 20 connections open (their events fit), 200 more open and stay open, then
# the first 20 close and 20 late ones open, likely at the kernel addresses the first
# freed (those events are lost). Meanwhile a pre-fork server's workers accept two
# connections (one worker reads, the other never does). After the resync the 200 and
# the 20 late ones are attributed, none of the first 20 is left open, and the pre-fork
# connections are their workers', not the master's.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
N=200
start_ebpf_collector "$J" --ring-buffer 64K
python3 "$TESTS_DIR/ebpf/prefork.py" "$WORK/prefork" 0 1 idle-second &
MASTER=$!; CLEANUP_PIDS+=("$MASTER")
wait_until 5 test -s "$WORK/prefork.port" || fail "pre-fork server did not start"
sleep 0.2
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
late = connect(20)  # likely where the early ones were: a freed socket's memory is reused first
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), lst.getsockname()[1], *early_ports, file=f)
    for c, _ in conns + late:
        print(c.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
HOLDER=$!; CLEANUP_PIDS+=("$HOLDER")
wait_until 10 test -s "$WORK/conns.txt" || { kill -CONT "$COLLECTOR_PID"; fail "connections not set up"; }
python3 - "$(cat "$WORK/prefork.port")" <<'PY' &
import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
for c in cs: c.send(b"hello")
time.sleep(60)
PY
CLEANUP_PIDS+=("$!")
wait_until 5 has_lines "$WORK/prefork" 2 || { kill -CONT "$COLLECTOR_PID"; fail "workers did not accept"; }
CLEANUP_PIDS+=($(awk '{print $1}' "$WORK/prefork"))
kill -CONT "$COLLECTOR_PID"
wait_until 5 grep -q 'events lost' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "no loss reported"; }
sleep 0.5
stop_collector

read -r lost resyncs rb < <(run_counters "$J" ebpf.lost ebpf.resyncs ebpf.ring_buffer_bytes)
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
[ "$missing" -eq 0 ] || fail "$missing of $((2 * (N + 20))) sockets not attributed to $pid after the loss"
echo "ok: all $((2 * (N + 20))) sockets attributed to $pid"
recorded=0
for cp in $early; do
  while read -r line; do
    recorded=$((recorded + 1))
    case "$line" in *" closed") ;; *) fail "closed while events were lost, still open in the journal: $line" ;; esac
  done < <(grep -E "^tcp 127.0.0.1:($cp 127.0.0.1:$lport|$lport 127.0.0.1:$cp) " "$WORK/intervals.txt")
done
[ "$recorded" -gt 0 ] || fail "none of the early connections recorded: the test proves nothing"
echo "ok: $recorded early sockets recorded, all closed"
while read -r worker sport cport; do
  grep -q "^tcp 127.0.0.1:$sport 127.0.0.1:$cport $worker so-worker .* open$" "$WORK/intervals.txt" ||
    { grep -E "^tcp 127.0.0.1:$sport 127.0.0.1:$cport " "$WORK/intervals.txt" >&2
      fail "accepted while events were lost: :$cport is not its worker's ($worker, master $MASTER)"; }
done <"$WORK/prefork"
echo "ok: the pre-fork connections accepted during the loss are their workers'"

# Losses while no collector runs: said at the next start, counted for that run.
python3 -c '
import socket
for _ in range(600):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.close()'
start_ebpf_collector "$J" --ring-buffer 64K
grep -q 'events were lost while no collector ran (since ' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no warning about events lost while no collector ran"; }
stop_collector
"$SOCKOWNER" stats --journal "$J" --json >"$WORK/stats2.json"
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["runs"][-1]["counters"]
assert c["ebpf.lost_while_down"] > 0 and c["ebpf.lost"] < c["ebpf.lost_total"], c' "$WORK/stats2.json" ||
  fail "losses while down not counted apart: $(cat "$WORK/stats2.json")"
echo "ok: losses while no collector ran, said and counted per run"
pass
