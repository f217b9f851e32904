#!/usr/bin/env bash
# The plugin's cost in instructions (callgrind), which unlike time does not move with
# the machine's other load: tshark -r of a generated capture of FLOWS*PACKETS packets
# (loopback TCP, both ends owned) against a journal of 2*FLOWS+1 sockets, without the
# plugin (the baseline) and with it, one-line summaries; then where the plugin's
# instructions go (journal reading, attribution, the rest per packet). tshark runs as
# the tests run it (unprivileged, the plugin in a private folder).
#
# usage: [KEEP_CALLGRIND=DIR] [TSHARK_ARGS=...] bench/plugin_instructions.sh [BUILD_DIR=build] [FLOWS=10000] [PACKETS=4]
# (PACKETS per flow: 4 is one request, the worst case; more make longer flows)
# (KEEP_CALLGRIND: the callgrind files are copied there, for callgrind_annotate;
# TSHARK_ARGS: more arguments for both runs, split at spaces (no quoting), e.g.
# "-T fields -e frame.number -e ip.src" or "-Y proc.src.pid")
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); flows=${2:-10000}; per_flow=${3:-4}; runs=1
packets=$((flows * per_flow))
command -v valgrind >/dev/null || { echo "valgrind not installed (scripts/setup installs it)" >&2; exit 1; }
no_hyperfine=1
. "$here/plugin_bench_lib.sh"

cd "$WORK"
echo "generating $packets packets and a journal of $((2 * flows + 1)) sockets..."
python3 "$here/plugin_make_capture.py" "$flows" cap.pcap "$per_flow"
"$gen" synthetic j.db "$flows" 0
chmod -R a+rwX "$WORK"

# instructions OUT HOME ARGS...: tshark's instruction count under callgrind.
instructions() {
  local out=$1 home=$2; shift 2
  as_tshark_user "$home" valgrind --tool=callgrind --callgrind-out-file="$WORK/$out" tshark "$@" \
    >/dev/null 2>"$WORK/$out.log"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/$out.log"
}
read -ra more <<<"${TSHARK_ARGS:-}"
bare=$(instructions cg.bare "$BARE_HOME" -r cap.pcap "${more[@]}")
with=$(instructions cg.plugin "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db "${more[@]}")
python3 - "$bare" "$with" "$packets" "${more[@]}" <<'PY'
import sys
bare, with_, packets = (int(x) for x in sys.argv[1:4])
print(f"tshark -r {' '.join(sys.argv[4:]) or '(summaries)'}: {bare / 1e9:.3f} G instructions without the plugin, {with_ / 1e9:.3f} G with it "
      f"({with_ / bare:.2f}x; +{(with_ - bare) / 1e6:.0f} M)")
PY
# Inclusive counts of the plugin's parts (callgrind_annotate's first column).
part() { callgrind_annotate --threshold=100 --inclusive=yes "$WORK/cg.plugin" 2>/dev/null | grep -m1 "$1" | awk '{print $1}' | tr -d ,; }
[ -n "${KEEP_CALLGRIND:-}" ] && cp "$WORK"/cg.* "$KEEP_CALLGRIND"/
python3 - "$(part 'dissect_proc(')" "$(part 'JournalFollower::cover(')" "$(part 'JournalFollower::refresh(')" \
  "$(part 'JournalReadAhead::run()')" "$bare" "$with" "$packets" "$((2 * flows + 1))" <<'PY'
import sys
total, cover, refresh, ahead, bare, with_, packets, rows = (int(x or 0) for x in sys.argv[1:])
print(f"  the plugin's dissector: {total / 1e6:.0f} M, of which reading the journal by time {cover / 1e6:.0f} M "
      f"and looking for new rows {refresh / 1e6:.0f} M (every 100 ms of a run that valgrind slows);"
      f" the rest {(total - cover - refresh) / packets:.0f} per packet")
print(f"  the journal read ahead on the plugin's second thread: {ahead / 1e6:.0f} M; reading the journal in all "
      f"{(cover + ahead) / 1e6:.0f} M, {(cover + ahead) / rows:.0f} a socket row ({rows} rows, their processes included)")
print(f"  the rest (loading the plugin, registering its fields, opening the journal): {(with_ - bare - total - ahead) / 1e6:.0f} M")
PY
