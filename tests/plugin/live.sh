#!/usr/bin/env bash
# Live capture: tshark -i lo with the plugin while the collector writes the journal.
# Sockets opened after tshark started are picked up without reopening anything, and
# the live annotation matches a later tshark -r of the same packets (allowing only a
# flow's first packets, dissected before the collector's next poll, to differ).
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "procfs mode must see every process's fd table; tshark needs CAP_NET_RAW to capture"
need_cmd curl
need_cmd ss

J=$WORK/j.db
start_capture_collector "$J"

port=$(free_port)
uport=$(free_port)
mkdir -p "$WORK/live" && chmod 777 "$WORK/live"  # tshark's user writes the capture there
start_http_server "$port"

FIELDS=(-T fields -e frame.number -e frame.time_relative -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport
        -e proc.src.pid -e proc.dst.pid -e proc.src.name -e proc.dst.name -e tcp.flags.syn -e tcp.flags.ack)
TSHARK_CAPS=+net_raw,+net_admin tshark_plugin -i lo -f "tcp port $port or udp port $uport" -a duration:6 -l --log-debug proc \
  -o "proc.journal:$J" -w live/live.pcapng -P "${FIELDS[@]}" >"$WORK/live.txt" 2>"$WORK/tshark.log" &
TSHARK=$!
CLEANUP_PIDS+=("$TSHARK")
wait_until 10 grep -q "Capturing on" "$WORK/tshark.log" || fail "tshark did not start: $(cat "$WORK/tshark.log")"

# New sockets, opened after tshark started: a download and a UDP exchange.
start_udp_exchange "$uport" 4
start_download "$port"
sleep 2
kill -TERM "$CURL"
wait "$CURL"
wait "$UDP_CLIENT" || fail "the UDP client failed"
wait "$TSHARK" || fail "tshark -i failed: $(cat "$WORK/tshark.log")"
grep -q "WARNING" "$WORK/tshark.log" && fail "tshark warned: $(cat "$WORK/tshark.log")"
grep -q "following the journal for a live capture" "$WORK/tshark.log" ||
  fail "the plugin did not see a live capture: $(cat "$WORK/tshark.log")"
stop_collector
chmod a+r "$J"*

cd "$WORK" || fail "no $WORK"
tshark_plugin -r live/live.pcapng -o "proc.journal:$J" "${FIELDS[@]}" >batch.txt 2>/dev/null || fail "tshark -r failed"
[ "$(wc -l <live.txt)" -eq "$(wc -l <batch.txt)" ] || fail "live saw $(wc -l <live.txt) packets, the file has $(wc -l <batch.txt)"

# Owners by port: curl's and python's ends of the download, the two UDP ends.
cport=$(awk -F'\t' -v p="$port" '$4 == p { print $3; exit }' batch.txt)
[ -n "$cport" ] || fail "no download in the capture"
expect() {  # expect FILE: the lines whose owners are not the expected ones
  awk -F'\t' -v p="$port" -v c="$cport" -v u="$uport" -v curl="$CURL" -v py="$PY" \
      -v srv="$UDP_SERVER" -v cli="$UDP_CLIENT" '
    ($3 == c && $4 == p && $7 == curl && $8 == py) || ($3 == p && $4 == c && $7 == py && $8 == curl) { next }
    ($3 == p && $4 == c && $11 == 1 && $12 == 1 && $7 == "" && $9 == "[kernel]" && $8 == curl) { next }  # SYN-ACK
    ($6 == u && $7 == cli && $8 == srv) || ($5 == u && $7 == srv && $8 == cli) { next }
    { print }' "$1"
}
bad=$(expect batch.txt)
[ -z "$bad" ] || fail "tshark -r: packets with wrong or missing owners: $bad"
# Live: the same. With the eBPF collector every packet (its row is written within
# 20 ms, a new flow's first packet waits up to 100 ms for it); polling procfs, all but
# a flow's packets in the first 250 ms (before the collector's next poll was written).
if [ "${COLLECT_MODE:-procfs}" = ebpf ]; then
  bad=$(expect live.txt)
  [ -z "$bad" ] || fail "live capture with the eBPF collector: packets without their owners: $bad"
fi
first_tcp=$(awk -F'\t' -v c="$cport" '$3 == c || $4 == c { print $2; exit }' live.txt)
first_udp=$(awk -F'\t' -v u="$uport" '$5 == u || $6 == u { print $2; exit }' live.txt)
late=$(expect live.txt | awk -F'\t' -v t="$first_tcp" -v u="$first_udp" -v up="$uport" '
  ($5 == up || $6 == up) ? ($2 > u + 0.25) : ($2 > t + 0.25)')
[ -z "$late" ] || fail "live capture: packets without their owners: $late"
tcp_packets=$(awk -F'\t' -v c="$cport" '$3 == c || $4 == c' live.txt | wc -l)
[ "$tcp_packets" -ge 20 ] || fail "only $tcp_packets packets of the download captured"
echo "live: $(expect live.txt | wc -l) of $(wc -l <live.txt) packets differ from tshark -r (a flow's first 250 ms)"
pass
