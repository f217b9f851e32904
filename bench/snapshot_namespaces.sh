#!/usr/bin/env bash
# Start-up snapshot cost with many network namespaces (containers). The BPF socket
# iterators list one namespace per pass, so the collector makes a pass per namespace.
# Baseline, same run: the same number of connections, all in the host's namespace.
# Prints the median of RUNS collector starts for each (the collector's own timing of
# its first resync, from its -v log).
#
# usage: sudo bench/snapshot_namespaces.sh [BUILD_DIR=build] [NAMESPACES=50] [CONNS_EACH=100] [RUNS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); nns=${2:-50}; each=${3:-100}; runs=${4:-3}
S=$build/collector/sockowner
[ -x "$S" ] || { echo "build first: $S missing" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (eBPF, namespaces)" >&2; exit 1; }
work=$(mktemp -d); pin=/sys/fs/bpf/sockowner-bench-$$
pids=()
finish() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; "$S" cleanup --pin-dir "$pin" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap finish EXIT

hold='
import socket, sys, time
n = int(sys.argv[1])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4096); cs = []
for _ in range(n):
    c = socket.create_connection(l.getsockname()); a, _ = l.accept(); cs.append((c, a))
open(sys.argv[2], "w").close()
time.sleep(3600)'

# snapshot_ms: median first-resync time of RUNS collector starts.
snapshot_ms() {
  local t=()
  for _ in $(seq "$runs"); do
    rm -f "$work"/j.db*
    "$S" collect -v --mode ebpf --journal "$work/j.db" --pin-dir "$pin" >"$work/log" 2>&1 &
    local c=$!
    for _ in $(seq 100); do grep -q 'resync:' "$work/log" && break; sleep 0.1; done
    kill "$c"; wait "$c" || true
    "$S" cleanup --pin-dir "$pin" >/dev/null
    t+=("$(grep -m1 -o '[0-9.]* ms' "$work/log" | cut -d' ' -f1)")
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

ready() { for _ in $(seq 300); do [ "$(ls "$work"/ready.* 2>/dev/null | wc -l)" -ge "$1" ] && return; sleep 0.1; done; echo "setup timed out" >&2; exit 1; }

total=$((nns * each))
python3 -c "$hold" "$total" "$work/ready.host" & pids+=($!)
ready 1
base=$(snapshot_ms)
kill "${pids[@]}"; wait 2>/dev/null || true; pids=(); rm -f "$work"/ready.*

for i in $(seq "$nns"); do
  unshare -n sh -c 'ip link set lo up && exec python3 -c "$0" "$@"' "$hold" "$each" "$work/ready.$i" & pids+=($!)
done
ready "$nns"
many=$(snapshot_ms)

echo "start-up snapshot, $total connections ($((2 * total)) sockets):"
echo "  all in the host namespace:      $base ms"
echo "  in $nns namespaces of $each each: $many ms (ratio $(python3 -c "print('%.2f' % ($many / $base))"))"
