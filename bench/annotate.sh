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
# OTHER_SOCKOWNER=path/to/another/sockowner adds that build on the same files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/annotate_lib.sh"
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

compare_with_editcap "$sockowner" "${OTHER_SOCKOWNER:-}"
