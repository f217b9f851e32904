#!/usr/bin/env bash
# Plugin overhead in tshark -r: a generated capture of FLOWS*PACKETS packets (loopback
# TCP, both ends owned) against a journal of 2*FLOWS+1 sockets, with and without the plugin
# in the same run (medians of hyperfine runs alternating between the commands), and
# the plugin's load time with a journal of 1M sockets. Run as root, tshark drops to
# uid 65534 with the plugin in a private plugin folder (as the tests do); the system
# is not changed, and an installed sockowner.so is not loaded.
#
# usage: bench/plugin_tshark.sh [BUILD_DIR=build] [FLOWS=50000] [RUNS=5] [PACKETS=4]
# (PACKETS per flow: 4 is one request on a new connection, the worst case; more make
# longer flows. 1M packets: 250000 5 4, or 2500 5 400)
# OTHER_PLUGIN=path/to/another/sockowner.so adds that build to the summaries' rounds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd); flows=${2:-50000}; runs=${3:-5}; per_flow=${4:-4}
packets=$((flows * per_flow))
. "$here/plugin_bench_lib.sh"

cd "$WORK"
echo "generating $packets packets and a journal of $((2 * flows + 1)) sockets..."
python3 "$here/plugin_make_capture.py" "$flows" cap.pcap "$per_flow"
"$gen" synthetic j.db "$flows" 0
echo "generating a journal of 1000000 sockets..."
"$gen" synthetic j1m.db "$flows" $((1000000 - 2 * flows - 1))
python3 "$here/plugin_make_capture.py" 1 one.pcap
chmod -R a+rX "$WORK"

other=()
if [ -n "${OTHER_PLUGIN:-}" ]; then
  OTHER_HOME=$WORK/home-other
  mkdir -p "$OTHER_HOME/.config/wireshark" "$OTHER_HOME/plugins/$WS_ABI/epan"
  cp "$OTHER_PLUGIN" "$OTHER_HOME/plugins/$WS_ABI/epan/sockowner.so"
  chmod -R a+rX "$OTHER_HOME"
  other=(-n "other build's plugin" "$(tshark_cmd "$OTHER_HOME" -r cap.pcap -o proc.journal:j.db)")
fi

echo; echo "== tshark -r, one-line summaries (plugin: Info tag on every packet)"
interleaved a \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r cap.pcap)" \
  -n "with plugin" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db)" "${other[@]}"
read -r a0 a1 a2 <<<"$(median a.json)"
echo "without plugin ${a0} s, with plugin ${a1} s, ratio $(python3 -c "print('%.2f' % ($a1 / $a0))")"
[ -z "${a2:-}" ] || echo "other build's plugin ${a2} s, ratio $(python3 -c "print('%.2f' % ($a2 / $a0))")"

echo; echo "== tshark -r -T fields (4.0 builds every packet's whole tree; 4.2 and later, the fields named)"
# Printing two more fields costs tshark itself: the proc fields' run is compared with
# tshark printing as many fields of its own.
fields="-T fields -e frame.number -e ip.src -e tcp.srcport"
interleaved b \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r cap.pcap $fields)" \
  -n "with plugin" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db $fields)" \
  -n "without plugin, two more fields" "$(tshark_cmd "$BARE_HOME" -r cap.pcap $fields -e ip.dst -e tcp.dstport)" \
  -n "with plugin, proc fields" "$(tshark_cmd "$PLUGIN_HOME" -r cap.pcap -o proc.journal:j.db $fields -e proc.src.name -e proc.dst.pid)"
read -r b0 b1 b2 b3 <<<"$(median b.json)"
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
echo "without plugin ${b0} s, with plugin ${b1} s (ratio $(ratio "$b1" "$b0"))"
echo "two more fields: without plugin (ip.dst, tcp.dstport) ${b2} s, with plugin (proc.src.name, proc.dst.pid) ${b3} s" \
  "(ratio $(ratio "$b3" "$b2"); $(ratio "$b3" "$b0") against three fields without plugin)"

echo; echo "== attribution check: packets with both owners (a process, or the kernel for SYN-ACKs)"
both=$(as_tshark_user "$PLUGIN_HOME" tshark -r cap.pcap -o proc.journal:j.db \
  -Y '(proc.src.pid or (tcp.flags.syn == 1 and tcp.flags.ack == 1 and proc.src.name == "[kernel]")) and proc.dst.pid' \
  2>/dev/null | wc -l)
echo "$both of $packets"

echo; echo "== load time: the first packet against the benchmark's journal, and one of 1M sockets"
# (read by time: the intervals around the packet's time, whatever the journal holds;
# read whole: a journal without the time indexes)
for j in j.db j1m.db; do
  as_tshark_user "$PLUGIN_HOME" tshark -r one.pcap -o proc.journal:$j --log-level info 2>&1 >/dev/null |
    grep -Eo "$j: ([0-9]* sockets read|read by time).* in [0-9.]* ms" || true
done
interleaved c \
  -n "without plugin" "$(tshark_cmd "$BARE_HOME" -r one.pcap)" \
  -n "with plugin, 1M sockets" "$(tshark_cmd "$PLUGIN_HOME" -r one.pcap -o proc.journal:j1m.db)"
read -r c0 c1 <<<"$(median c.json)"
echo "tshark -r of one packet: without plugin ${c0} s, with plugin and 1M sockets ${c1} s (+$(python3 -c "print('%.2f' % ($c1 - $c0))") s)"
echo "peak RSS: without plugin $(peak_rss "$BARE_HOME" -r one.pcap) KiB, with plugin and 1M sockets $(peak_rss "$PLUGIN_HOME" -r one.pcap -o proc.journal:j1m.db) KiB"
