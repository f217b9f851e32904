#!/usr/bin/env bash
# Short-connection storm: what share of N sub-millisecond TCP connections (each from a
# child process that exits right after) each method attributes to the right pid, and
# how much longer the storm takes while each collector runs. Baseline: the same storm
# with no collector, in the same run. Needs root.
#
# usage: sudo bench/attribution_storm.sh [BUILD_DIR=build] [N=2000] [RUNS=5]
# METHODS="ebpf procfs ss" (the default) chooses the collectors compared with none: at
# N=10000 the procfs and ss rounds take minutes each (thousands of processes alive to
# poll), the eBPF ones seconds. The collectors' own CPU time (user + system, from
# /proc/PID/stat) is shown per connection: what the storm competes with.
# PERF=1 also records the eBPF collector with `perf record -g` in each round and shows
# where the last round's CPU time went (by library, then the top functions).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}; n=${2:-2000}; runs=${3:-5}
S=$build/collector/sockowner
storm=$here/../tests/ebpf/storm.py
check=$here/../tests/ebpf/check_storm.py
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
. "$here/kernel_bench_lib.sh"
no_other_programs
work=$(mktemp -d); pin=/sys/fs/bpf/sockowner-bench-$$
trap '"$S" cleanup --pin-dir "$pin" >/dev/null 2>&1; rm -rf "$work"' EXIT

now() { date +%s.%N; }
# run_storm: runs the storm, prints its duration in seconds.
run_storm() { local t0; t0=$(now); python3 "$storm" "$n" "$work/storm.txt"; python3 -c "print($(now) - $t0)"; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks

collector_run() {  # collector_run MODE → "attributed seconds collector-cpu-seconds"
  rm -f "$work"/j.db*
  "$S" collect --mode "$1" --journal "$work/j.db" --pin-dir "$pin" >"$work/c.log" 2>&1 &
  local c=$! recorder=
  until grep -q 'mode:' "$work/c.log"; do sleep 0.05; done
  if [ "${PERF:-}" = 1 ] && [ "$1" = ebpf ]; then
    perf record -q -g -p $c -o "$work/perf.data" >/dev/null 2>&1 & recorder=$!
  fi
  local t0; t0=$(cpu_ticks $c)
  local secs; secs=$(run_storm)
  sleep 1  # one more poll, the last flush
  local cpu; cpu=$(python3 -c "print(($(cpu_ticks $c) - $t0) / $(getconf CLK_TCK))")
  [ -z "$recorder" ] || { kill -INT $recorder; wait $recorder || true; }
  kill -TERM $c; wait $c
  # Its pinned programs stay attached when it stops (by design): detach them, or every
  # later run "without" the collector would carry them.
  "$S" cleanup --pin-dir "$pin" >/dev/null
  "$S" export --journal "$work/j.db" >"$work/export.jsonl"
  echo "$(python3 "$check" "$work/storm.txt" "$work/export.jsonl" | cut -d' ' -f1) $secs $cpu"
}

ss_run() {  # what `ss -tnp` polled every 100 ms sees
  : >"$work/ss.txt"
  ( while :; do ss -tnpH >>"$work/ss.txt" 2>/dev/null; sleep 0.1; done ) &
  local poller=$!
  local secs; secs=$(run_storm)
  kill $poller; wait $poller 2>/dev/null || true
  local found
  found=$(python3 - "$work/storm.txt" "$work/ss.txt" <<'PY'
import re, sys
truth = {}
for line in open(sys.argv[1]):
    pid, cport, sport = map(int, line.split())
    truth[(cport, sport)] = pid
seen = set()
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 6:
        continue
    try:
        cport, sport = int(f[3].rsplit(":", 1)[1]), int(f[4].rsplit(":", 1)[1])
    except ValueError:
        continue
    for pid in re.findall(r"pid=(\d+)", line):
        if truth.get((cport, sport)) == int(pid):
            seen.add((cport, sport))
print(len(seen))
PY
)
  echo "$found $secs"
}

declare -A att secs cpu
[ "${PERF:-}" != 1 ] || command -v perf >/dev/null || { echo "PERF=1 needs perf (apt-get install linux-perf)" >&2; exit 1; }
methods=${METHODS:-ebpf procfs ss}
for r in $(seq "$runs"); do
  secs[none]+="$(run_storm) "
  for m in $methods; do
    case $m in
      ebpf|procfs) read -r a s c < <(collector_run "$m"); cpu[$m]+="$c " ;;
      ss) read -r a s < <(ss_run) ;;
      *) echo "unknown method $m (ebpf, procfs, ss)" >&2; exit 2 ;;
    esac
    att[$m]+="$a "; secs[$m]+="$s "
  done
done

median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
base=$(median ${secs[none]})
echo "storm: $n connections, $runs runs, medians; kernel $(uname -r)"
printf '%-28s %12s %14s %10s %22s\n' method attributed storm-seconds vs-none collector-cpu-per-conn
printf '%-28s %12s %14.3f %10s %22s\n' "no collector (baseline)" - "$base" 1.00 -
for m in $methods; do
  a=$(median ${att[$m]}); s=$(median ${secs[$m]})
  label=$m; [ $m = procfs ] && label="procfs (500 ms polling)"; [ $m = ss ] && label="ss -tnp every 100 ms"
  per=-; [ -z "${cpu[$m]:-}" ] || per=$(python3 -c "print('%.0f us' % (1e6 * $(median ${cpu[$m]}) / $n))")
  printf '%-28s %11.1f%% %14.3f %10.2f %22s\n' "$label" "$(python3 -c "print(100*$a/$n)")" "$s" "$(python3 -c "print($s/$base)")" "$per"
done
if [ "${PERF:-}" = 1 ] && [ -s "$work/perf.data" ]; then
  echo; echo "where the eBPF collector's CPU went (the last round; perf samples):"
  perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -6
  perf report -i "$work/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -15
fi
