#!/usr/bin/env bash
# Live capture: tshark -i lo with the plugin while the collector writes the journal.
# Sockets opened after tshark started are picked up without reopening anything, and
# the live annotation matches a later tshark -r of the same packets (allowing only a
# flow's first packets, dissected before the collector's next poll, to differ). The
# same for a capture piped live into annotate (dumpcap -w - | sockowner annotate -),
# its comments read back by the plugin with no journal.
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
dumpcap -i lo -f "tcp port $port or udp port $uport" -a duration:6 -w - 2>"$WORK/dumpcap.log" |
  "$SOCKOWNER" annotate - -o "$WORK/live/annotated.pcapng" --journal "$J" 2>"$WORK/annotate.log" &
ANNOTATE=$!
CLEANUP_PIDS+=("$ANNOTATE")
wait_until 10 grep -q "Capturing on" "$WORK/dumpcap.log" || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"

# New sockets, opened after tshark started: a download and a UDP exchange.
start_udp_exchange "$uport" 4
start_download "$port"
sleep 2
kill -TERM "$CURL"
wait "$CURL"
wait "$UDP_CLIENT" || fail "the UDP client failed"
wait "$TSHARK" || fail "tshark -i failed: $(cat "$WORK/tshark.log")"
wait "$ANNOTATE" || fail "dumpcap | sockowner annotate - failed: $(cat "$WORK/annotate.log")"
grep -q "a live capture: the journal followed" "$WORK/annotate.log" ||
  fail "annotate did not see a live capture: $(cat "$WORK/annotate.log")"
grep -q "WARNING" "$WORK/tshark.log" && fail "tshark warned: $(cat "$WORK/tshark.log")"
grep -q "following the journal for a live capture" "$WORK/tshark.log" ||
  fail "the plugin did not see a live capture: $(cat "$WORK/tshark.log")"
stop_collector
chmod a+r "$J"*

cd "$WORK" || fail "no $WORK"
tshark_plugin -r live/live.pcapng -o "proc.journal:$J" "${FIELDS[@]}" >batch.txt 2>/dev/null || fail "tshark -r failed"
chmod a+r live/annotated.pcapng
tshark_plugin -r live/annotated.pcapng -o "proc.journal:$WORK/no-such-journal.db" "${FIELDS[@]}" >annotated.txt \
  2>/dev/null || fail "tshark -r of annotate's output failed"
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
for f in live.txt annotated.txt; do
  if [ "${COLLECT_MODE:-procfs}" = ebpf ]; then
    bad=$(expect $f)
    [ -z "$bad" ] || fail "$f, live with the eBPF collector: packets without their owners: $bad"
  fi
  first_tcp=$(awk -F'\t' -v c="$cport" '$3 == c || $4 == c { print $2; exit }' $f)
  first_udp=$(awk -F'\t' -v u="$uport" '$5 == u || $6 == u { print $2; exit }' $f)
  late=$(expect $f | awk -F'\t' -v t="$first_tcp" -v u="$first_udp" -v up="$uport" '
    ($5 == up || $6 == up) ? ($2 > u + 0.25) : ($2 > t + 0.25)')
  [ -z "$late" ] || fail "$f, live: packets without their owners: $late"
done
[ "$(wc -l <annotated.txt)" -ge 20 ] || fail "annotate's output has only $(wc -l <annotated.txt) packets"
tcp_packets=$(awk -F'\t' -v c="$cport" '$3 == c || $4 == c' live.txt | wc -l)
[ "$tcp_packets" -ge 20 ] || fail "only $tcp_packets packets of the download captured"
echo "live: $(expect live.txt | wc -l) of $(wc -l <live.txt) packets differ from tshark -r (a flow's first 250 ms);" \
  "annotate: $(expect annotated.txt | wc -l) of $(wc -l <annotated.txt) without their owners"
pass
