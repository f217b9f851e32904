#!/usr/bin/env bash
# Plugin overhead in tshark -r: a generated capture of 4*FLOWS packets (loopback TCP,
# both ends owned) against a journal of 2*FLOWS+1 sockets, with and without the plugin
# in the same run (medians of hyperfine runs alternating between the commands), and
# the plugin's load time with a journal of 1M sockets. Run as root, tshark drops to
# uid 65534 with the plugin in a private plugin folder (as the tests do); the system
# is not changed, and an installed sockowner.so is not loaded.
#
# usage: bench/plugin_tshark.sh [BUILD_DIR=build] [FLOWS=50000] [RUNS=5]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); flows=${2:-50000}; runs=${3:-5}
export SOCKOWNER_PLUGIN=$build/plugin/sockowner.so PLUGIN_TESTS_DIR=$here/../tests/plugin TESTS_DIR=$here/../tests
gen=$build/tests/plugin/plugin_journal_gen
[ -f "$SOCKOWNER_PLUGIN" ] && [ -x "$gen" ] || { echo "build with -DSOCKOWNER_PLUGIN=ON first" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not installed" >&2; exit 1; }
set +u
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
set -u

# tshark_cmd HOME ARGS...: the command line hyperfine runs (tshark's user, that home).
tshark_cmd() {
  local home=$1; shift
  local drop=""
  [ "$(id -u)" -eq 0 ] && drop="setpriv --reuid=65534 --regid=65534 --clear-groups"
  echo "cd $WORK && $drop env $(tshark_env "$home") tshark $* >/dev/null"
}
# interleaved OUT -n NAME CMD ...: one warm-up round, then RUNS rounds of one run of
# each command, in alternating order, so that other load on the machine while the
# benchmark runs falls on all of them alike (hyperfine alone runs all of one command,
# then all of the next). Writes OUT.json with each command's median, as hyperfine does.
interleaved() {
  local out=$1 i j; shift
  local fwd=("$@") rev=()
  for ((j = ${#fwd[@]} - 3; j >= 0; j -= 3)); do rev+=("${fwd[@]:j:3}"); done
  for ((i = 0; i <= runs; i++)); do
    if ((i % 2)); then set -- "${rev[@]}"; else set -- "${fwd[@]}"; fi
    hyperfine --runs 1 --export-json "$out.$i.json" "$@" >/dev/null
  done
  python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
order = [r["command"] for r in json.load(open(f"{out}.0.json"))["results"]]  # round 0: the warm-up
times = {c: [] for c in order}
for i in range(1, runs + 1):
    for r in json.load(open(f"{out}.{i}.json"))["results"]:
        times[r["command"]].extend(r["times"])
json.dump({"results": [{"command": c, "median": statistics.median(times[c]), "times": times[c]} for c in order]},
          open(out + ".json", "w"))
PY
}
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }

cd "$WORK"
echo "generating $((4 * flows)) packets and a journal of $((2 * flows + 1)) sockets..."
python3 "$here/plugin_make_capture.py" "$flows" cap.pcap
"$gen" synthetic j.db "$flows" 0
echo "generating a journal of 1000000 sockets..."
"$gen" synthetic j1m.db "$flows" $((1000000 - 2 * flows - 1))
python3 "$here/plugin_make_capture.py" 1 one.pcap
chmod -R a+rX "$WORK"

echo; echo "== tshark -r, one-line summaries (plugin: Info tag on every packet)"
interleaved a \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r cap.pcap)" \
  -n "with plugin" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db)"
read -r a0 a1 <<<"$(median a.json)"
echo "without plugin ${a0} s, with plugin ${a1} s, ratio $(python3 -c "print('%.2f' % ($a1 / $a0))")"

echo; echo "== tshark -r -T fields (tree built for every packet)"
interleaved b \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r cap.pcap -T fields -e frame.number -e ip.src -e tcp.srcport)" \
  -n "with plugin" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db -T fields -e frame.number -e ip.src -e tcp.srcport)" \
  -n "with plugin, proc fields" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db -T fields -e frame.number -e ip.src -e tcp.srcport -e proc.src.name -e proc.dst.pid)"
read -r b0 b1 b2 <<<"$(median b.json)"
echo "without plugin ${b0} s, with plugin ${b1} s (ratio $(python3 -c "print('%.2f' % ($b1 / $b0))")), with proc fields ${b2} s (ratio $(python3 -c "print('%.2f' % ($b2 / $b0))"))"

echo; echo "== attribution check: packets with both owners (a process, or the kernel for SYN-ACKs)"
both=$(as_tshark_user "$PLUGIN_HOME" tshark -r cap.pcap -o proc.journal:j.db \
  -Y '(proc.src.pid or (tcp.flags.syn == 1 and tcp.flags.ack == 1 and proc.src.name == "[kernel]")) and proc.dst.pid' \
  2>/dev/null | wc -l)
echo "$both of $((4 * flows))"

echo; echo "== load time: the first packet against the benchmark's journal, and one of 1M sockets"
as_tshark_user "$PLUGIN_HOME" tshark -r one.pcap -o proc.journal:j.db --log-level info 2>&1 >/dev/null | grep -o 'j.db: [0-9]* sockets read in [0-9.]* ms' || true
as_tshark_user "$PLUGIN_HOME" tshark -r one.pcap -o proc.journal:j1m.db --log-level info 2>&1 >/dev/null | grep -o 'j1m.db: [0-9]* sockets read in [0-9.]* ms' || true
interleaved c \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r one.pcap)" \
  -n "with plugin, 1M sockets" "$(tshark_cmd "$PLUGIN_HOME" -r one.pcap -o proc.journal:j1m.db)"
read -r c0 c1 <<<"$(median c.json)"
echo "tshark -r of one packet: without plugin ${c0} s, with plugin and 1M sockets ${c1} s (+$(python3 -c "print('%.2f' % ($c1 - $c0))") s)"
rss() { /usr/bin/time -f %M sh -c "$(tshark_cmd "$1" -r one.pcap "${@:2}")" 2>&1 | tail -1; }
echo "peak RSS: without plugin $(rss "$BARE_HOME") KiB, with plugin and 1M sockets $(rss "$PLUGIN_HOME" -o proc.journal:j1m.db) KiB"
