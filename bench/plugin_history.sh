#!/usr/bin/env bash
# The plugin's cost against the journal's history: a small capture (4*FLOWS packets)
# read with its own journal, and with the same journal holding HISTORY more intervals
# from the week before (what a busy host keeps with --retain 7d; the same ports used
# by other processes, an earlier server). The plugin reads by time, so the two should
# cost the same; the old way, reading the whole journal (the same journal without its
# window index), is measured in the same run as the baseline. Checks that the
# annotations are identical. Medians of RUNS alternating rounds; peak RSS of one run.
#
# usage: bench/plugin_history.sh [BUILD_DIR=build] [FLOWS=100] [HISTORY=5000000] [RUNS=5]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); flows=${2:-100}; history=${3:-5000000}; runs=${4:-5}
. "$here/plugin_bench_lib.sh"

cd "$WORK"
python3 "$here/plugin_make_capture.py" "$flows" cap.pcap
"$gen" synthetic own.db "$flows" 0
echo "generating a journal with $history intervals of history..."
t0=$(date +%s.%N)
"$gen" synthetic history.db "$flows" 0 "$history"
echo "written in $(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s, $(du -m history.db | cut -f1) MiB"
cp history.db whole.db
sqlite3 whole.db "PRAGMA journal_mode = DELETE; DROP INDEX sockets_long_spans" >/dev/null  # read whole, as before the window indexes
chmod -R a+rX "$WORK"

fields="-T fields -e frame.number -e proc.src.pid -e proc.src.name -e proc.src.match -e proc.dst.pid -e proc.dst.name -e proc.dst.match"
for j in own history whole; do
  as_tshark_user "$PLUGIN_HOME" tshark -r cap.pcap -o proc.journal:$j.db $fields >"$j.txt" 2>"$j.err"
done
if cmp -s own.txt history.txt && cmp -s own.txt whole.txt; then
  echo "annotations identical ($(grep -c . own.txt) packets, $(awk -F'\t' '$2 != "" && $5 != ""' own.txt | wc -l) with both owners)"
else
  echo "annotations DIFFER:"; diff own.txt history.txt | head; diff own.txt whole.txt | head; exit 1
fi

interleaved h \
  -n "own journal" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:own.db $fields)" \
  -n "with history" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:history.db $fields)" \
  -n "with history, read whole" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:whole.db $fields)"
read -r h0 h1 h2 <<<"$(median h.json)"
echo "tshark -r: own journal ${h0} s, with history ${h1} s (+$(python3 -c "print('%.3f' % ($h1 - $h0))") s)," \
  "read whole ${h2} s (+$(python3 -c "print('%.3f' % ($h2 - $h0))") s)"
r0=$(peak_rss "$PLUGIN_HOME" -r cap.pcap -o proc.journal:own.db $fields)
r1=$(peak_rss "$PLUGIN_HOME" -r cap.pcap -o proc.journal:history.db $fields)
r2=$(peak_rss "$PLUGIN_HOME" -r cap.pcap -o proc.journal:whole.db $fields)
echo "peak RSS: own journal $((r0 / 1024)) MiB, with history $((r1 / 1024)) MiB (+$(((r1 - r0) / 1024)) MiB)," \
  "read whole $((r2 / 1024)) MiB (+$(((r2 - r0) / 1024)) MiB)"
