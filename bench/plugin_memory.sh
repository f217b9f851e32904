#!/usr/bin/env bash
# The plugin's memory over a long capture: tshark -r (one pass, a summary line with the
# Info tag for every packet) of PACKETS packets over HOURS hours of one host's traffic
# (bench/plugin_long_capture.cpp: 200 long loopback connections, and a new short one
# to a new remote host every 100 ms) against their journal; peak RSS with and without
# the plugin in the same run (RUNS rounds alternating between them; medians). Both
# again on the capture's first tenth: what the plugin adds should not grow with the
# capture's length. COMPARE_PLUGIN=PATH adds another build of the plugin (e.g. an
# older one) to each round.
#
# usage: bench/plugin_memory.sh [BUILD_DIR=build] [PACKETS=10000000] [RUNS=3] [HOURS=4]
# BENCH_DIR=DIR keeps the generated capture and journal there for the next run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); packets=${2:-10000000}; runs=${3:-3}; hours=${4:-4}
gen=$build/bench/plugin_long_capture no_hyperfine=1
. "$here/plugin_bench_lib.sh"
command -v editcap >/dev/null || { echo "editcap not installed (wireshark-common)" >&2; exit 1; }
if [ -n "${COMPARE_PLUGIN:-}" ]; then
  mkdir -p "$WORK/compare/plugins/$WS_ABI/epan" "$WORK/compare/.config/wireshark"
  cp "$COMPARE_PLUGIN" "$WORK/compare/plugins/$WS_ABI/epan/sockowner.so"
  chmod -R a+rX "$WORK/compare"
fi

data=${BENCH_DIR:-$WORK}
mkdir -p "$data"
name=mem-$packets-${hours}h
if [ ! -f "$data/$name.pcap" ] || [ ! -f "$data/$name.db" ]; then
  rm -f "$data/$name".*
  "$gen" "$data/$name.pcap" "$data/$name.db" "$packets" "$hours"
  # One file that readers need not write to (a WAL journal wants its -shm writable).
  sqlite3 "$data/$name.db" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;' >/dev/null
fi
editcap -r "$data/$name.pcap" "$WORK/tenth.pcap" "1-$((packets / 10))"
cd "$WORK"
ln -sf "$data/$name.pcap" "$WORK/all.pcap"
ln -sf "$data/$name.db" "$WORK/j.db"
chmod -R a+rX "$WORK" "$data"

# The plugin names a process on the packets (else this measures nothing).
tagged=$(as_tshark_user "$PLUGIN_HOME" tshark -r tenth.pcap -o proc.journal:j.db -c 1000 2>&1 |
  grep -Ec '\[[^][]*[a-z]+ [0-9]+[^][]*\]$' || true)
[ "$tagged" -ge 990 ] || fail "only $tagged of the first 1000 packets name a process"

# rss HOME ARGS...: tshark's peak RSS in KiB, and its time in s.
rss() {
  local home=$1; shift
  as_tshark_user "$home" /usr/bin/time -f '%M %e' tshark "$@" 2>&1 >/dev/null | tail -1
}
declare -A results
names=(without with tenth_without tenth)
[ -z "${COMPARE_PLUGIN:-}" ] || names+=(compare)
for ((i = 1; i <= runs; i++)); do
  order=("${names[@]}")
  ((i % 2)) || order=($(printf '%s\n' "${names[@]}" | tac))
  for n in "${order[@]}"; do
    case $n in
      without) r=$(rss "$BARE_HOME" -r all.pcap) ;;
      with) r=$(rss "$PLUGIN_HOME" -r all.pcap -o proc.journal:j.db) ;;
      tenth_without) r=$(rss "$BARE_HOME" -r tenth.pcap) ;;
      tenth) r=$(rss "$PLUGIN_HOME" -r tenth.pcap -o proc.journal:j.db) ;;
      compare) r=$(rss "$WORK/compare" -r all.pcap -o proc.journal:j.db) ;;
    esac
    echo "round $i: $n: $r (KiB s)"
    results[$n]+="$r;"
  done
done
python3 - "$packets" "${results[without]}" "${results[with]}" "${results[tenth_without]}" "${results[tenth]}" \
  "${results[compare]:-}" <<'PY'
import statistics, sys
packets = int(sys.argv[1])
def med(i, k=0):
    return statistics.median(float(x.split()[k]) for x in sys.argv[i].split(";") if x)
w0, w1, t0, t1 = (med(i) / 1024 for i in (2, 3, 4, 5))
print(f"\n{packets} packets, peak RSS (medians): without plugin {w0:.0f} MiB, with plugin {w1:.0f} MiB "
      f"(ratio {w1 / w0:.2f}; the plugin adds {w1 - w0:.0f} MiB)")
print(f"first tenth: without {t0:.0f} MiB, with {t1:.0f} MiB (ratio {t1 / t0:.2f}; adds {t1 - t0:.0f} MiB)")
print(f"what the plugin adds grows by {((w1 - w0) - (t1 - t0)) * 1024 * 1024 / (packets * 0.9):.1f} bytes per packet "
      f"over the last nine tenths")
print(f"time: without {med(2, 1):.1f} s, with {med(3, 1):.1f} s")
if sys.argv[6]:
    c = med(6) / 1024
    print(f"COMPARE_PLUGIN: {c:.0f} MiB (ratio {c / w0:.2f}; adds {c - w0:.0f} MiB), {med(6, 1):.1f} s")
PY
