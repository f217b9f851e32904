#!/usr/bin/env bash
# sockowner annotate against editcap copying the same capture (the target: at most
# 1.5x): a generated capture of FLOWS loopback TCP connections of PACKETS packets each
# (both ends owned) and its journal; medians of RUNS rounds alternating the commands,
# in the same run. Also checks the output: every packet annotated, and read back by
# tshark. PACKETS=4 (the default) is the worst case: every flow a new socket pair,
# 2*FLOWS journal rows, ~20 000 distinct pairs of owners; long flows (e.g. FLOWS=1000
# PACKETS=1000) are what most captures hold.
#
# usage: bench/annotate.sh [BUILD_DIR=build] [FLOWS=250000] [RUNS=5] [PACKETS=4]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); flows=${2:-250000}; runs=${3:-5}; packets=${4:-4}
sockowner=$build/collector/sockowner gen=$build/tests/plugin/plugin_journal_gen
[ -x "$sockowner" ] && [ -x "$gen" ] || { echo "build with -DSOCKOWNER_PLUGIN=ON first (for the journal generator)" >&2; exit 1; }
for c in hyperfine editcap capinfos; do command -v $c >/dev/null || { echo "$c not installed" >&2; exit 1; }; done
work=$(mktemp -d /tmp/sockowner-bench-annotate.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "generating $((packets * flows)) packets ($flows flows) and a journal of $((2 * flows + 1)) sockets..."
python3 "$here/plugin_make_capture.py" "$flows" cap.pcap "$packets"
"$gen" synthetic j.db "$flows" 0
editcap -F pcapng cap.pcap cap.pcapng  # pcapng in: what a capture from dumpcap is

"$sockowner" annotate cap.pcapng -o check.pcapng --journal j.db
echo "output: $(capinfos -c -M check.pcapng | sed -n 's/^Number of packets: *//p') packets," \
  "$(tshark -r check.pcapng -Y 'frame.comment contains "sockowner: "' 2>/dev/null | wc -l) with our comment"

cmds=(-n "editcap (copy)" "editcap cap.pcapng copy.pcapng"
      -n "sockowner annotate" "$sockowner annotate -q cap.pcapng -o out.pcapng --journal j.db")
for ((i = 0; i <= runs; i++)); do  # round 0: warm-up
  if ((i % 2)); then set -- "${cmds[@]:3:3}" "${cmds[@]:0:3}"; else set -- "${cmds[@]}"; fi
  # Each run from a clean page cache state: no output left from the run before (the
  # other command's, whose write-back would otherwise land on this one), all written back.
  hyperfine --runs 1 --prepare "rm -f copy.pcapng out.pcapng; sync" --export-json "r.$i.json" "$@" >/dev/null
done
python3 - "$runs" <<'PY'
import json, statistics, sys
runs = int(sys.argv[1])
t = {}
for i in range(1, runs + 1):
    for r in json.load(open(f"r.{i}.json"))["results"]:
        t.setdefault(r["command"], []).extend(r["times"])
e, a = (statistics.median(t[k]) for k in ("editcap (copy)", "sockowner annotate"))
print(f"editcap copy {e:.3f} s, sockowner annotate {a:.3f} s (medians of {runs}), ratio {a / e:.2f}")
PY
