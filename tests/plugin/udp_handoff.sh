#!/usr/bin/env bash
# Ownership of unconnected UDP sockets (recvfrom/sendto, each datagram with its address:
# the cgroup sendmsg/recvmsg hooks run for every one) follows the process that uses
# them (tests/ebpf/udp_handoff.py): a socket bound by a parent and served by its forked
# child, and a server that answers once and then exec()s python3 on the same socket
# (same pid, another program). With the eBPF collector recording and dumpcap capturing:
#  - `sockowner lookup` names the process that answered last;
#  - tshark with the plugin gives each datagram the server-side process that read or
#    sent it (with exec: the first exchange the first program's, the second the
#    second's, the request included, which arrived before python3 read it) and the
#    client's pid at the other end.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "loading BPF programs; dumpcap needs CAP_NET_RAW"
need_cmd dumpcap

J=$WORK/j.db
COLLECT_MODE=ebpf start_capture_collector "$J"
grep -q "sock_send_length" "$WORK/collector.log" &&
  skip "this kernel has no sock_send_length tracepoint (Linux < 6.3): $(grep -o 'no sock_send_length.*' "$WORK/collector.log")"

declare -A FIRST=([fork]=so-udp-child [exec]=so-udp-self) LAST=([fork]=so-udp-child [exec]=python3) PORT
filter=""
for m in fork exec; do
  python3 "$TESTS_DIR/ebpf/udp_handoff.py" serve "$m" "$WORK/$m" &
  CLEANUP_PIDS+=("$!")
  wait_until 5 test -s "$WORK/$m.port" || fail "$m server did not start"
  wait_until 5 test -s "$WORK/$m" || fail "$m server did not say its pid"
  PORT[$m]=$(cat "$WORK/$m.port")
  filter+="${filter:+ or }udp port ${PORT[$m]}"
done
start_dumpcap "$filter"

for m in fork exec; do
  python3 "$TESTS_DIR/ebpf/udp_handoff.py" client "${PORT[$m]}" "$WORK/$m.client" || fail "$m: client failed"
done
sleep 0.5
stop_dumpcap
stop_collector
chmod a+r "$WORK"/*

for m in fork exec; do
  port=${PORT[$m]}
  server=$(cat "$WORK/$m")
  read -r client cport answered <"$WORK/$m.client"
  "$SOCKOWNER" lookup --journal "$J" --json --at "$answered" udp "127.0.0.1:$port" "127.0.0.1:$cport" \
    >"$WORK/l.json" || fail "$m: no owner for 127.0.0.1:$port -> 127.0.0.1:$cport"
  read -r pid name < <(json_fields "$WORK/l.json" pid name)
  [ "$pid" = "$server" ] && [ "$name" = "${LAST[$m]}" ] ||
    fail "$m: the server side of :$cport is $pid ($name), expected $server (${LAST[$m]})"

  tshark_plugin -r cap.pcapng -o "proc.journal:$J" -Y "udp.port == $cport && udp.port == $port" -T fields -e udp.srcport \
    -e proc.src.pid -e proc.src.name -e proc.dst.pid -e proc.dst.name >"$WORK/p.txt" 2>"$WORK/tshark.err" ||
    fail "tshark: $(cat "$WORK/tshark.err")"
  [ "$(wc -l <"$WORK/p.txt")" -eq 4 ] || { cat "$WORK/p.txt" >&2; fail "$m: $(wc -l <"$WORK/p.txt") datagrams, expected 4"; }
  # request, answer, request, answer: the server's end is the first program's for the
  # first exchange, the last one's for the second; the client's end is the client.
  bad=$(awk -F'\t' -v p="$port" -v srv="$server" -v cli="$client" -v first="${FIRST[$m]}" -v last="${LAST[$m]}" '
    { name = NR <= 2 ? first : last }
    $1 != p { if ($2 != cli || $4 != srv || $5 != name) print "request", NR ":", $0 }
    $1 == p { if ($2 != srv || $3 != name || $4 != cli) print "answer", NR ":", $0 }' "$WORK/p.txt")
  if [ -n "$bad" ]; then
    # What a failure needs to be understood: the datagrams' times, the journal's intervals
    # on the port, and what the collector counted.
    cat "$WORK/p.txt" >&2
    tshark_plugin -r cap.pcapng -Y "udp.port == $cport && udp.port == $port" -T fields -e frame.time_epoch -e udp.srcport >&2 2>/dev/null || true
    "$SOCKOWNER" export --journal "$J" --port "$port" >&2 || true
    grep -iE "handoff|lost|exec" "$WORK/collector.log" >&2 || true
    fail "$m (server $server, client $client): $bad"
  fi
  echo "ok $m: :$port served by $server (${FIRST[$m]}, then ${LAST[$m]}), client $client"
done
pass
