#!/usr/bin/env bash
# Ownership follows the process that uses the socket. Five servers accept a connection
# in one process and serve it in another (tests/ebpf/handoff.py): a ForkingTCPServer,
# a worker that receives the connection over SCM_RIGHTS, cat(1) exec'd with the
# connection as stdin/stdout, an acceptor that reads the request before a forked
# child answers, and a process that answers once and then exec()s cat itself (same
# pid, another program). With the eBPF collector recording and dumpcap capturing, then:
#  - `sockowner lookup` names the serving process once it answered;
#  - the journal has one interval per owner, the acceptor's then the server's, meeting;
#  - tshark with the plugin gives every packet the serving process sent or received
#    its pid and name; what came before it took over (the SYN to the listener, the
#    request the acceptor read itself) keeps the acceptor's.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "loading BPF programs; dumpcap needs CAP_NET_RAW"
need_cmd dumpcap
need_cmd cat

J=$WORK/j.db
COLLECT_MODE=ebpf start_capture_collector "$J"
grep -q "sock_send_length" "$WORK/collector.log" &&
  skip "this kernel has no sock_send_length tracepoint (Linux < 6.3): $(grep -o 'no sock_send_length.*' "$WORK/collector.log")"

declare -A SERVED=([forking]=so-fork-child [scm]=so-scm-worker [exec]=cat [recv]=so-late-child [execself]=cat)
declare -A ACCEPTOR=([forking]=so-acceptor [scm]=so-acceptor [exec]=so-acceptor [recv]=so-acceptor [execself]=so-exec-self)
declare -A PORT
filter=""
for m in "${!SERVED[@]}"; do
  python3 "$TESTS_DIR/ebpf/handoff.py" serve "$m" "$WORK/$m" &
  CLEANUP_PIDS+=("$!")
  wait_until 5 test -s "$WORK/$m.port" || fail "$m server did not start"
  PORT[$m]=$(cat "$WORK/$m.port")
  filter+="${filter:+ or }tcp port ${PORT[$m]}"
done
start_dumpcap "$filter"

for m in "${!SERVED[@]}"; do
  twice=""; [ "$m" = execself ] && twice=twice
  python3 "$TESTS_DIR/ebpf/handoff.py" client "${PORT[$m]}" 3 "$WORK/$m.client" $twice || fail "$m: client failed"
done
sleep 0.5
stop_dumpcap
stop_collector
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl" || fail "export"
chmod a+r "$WORK"/*

checked=0
for m in "${!SERVED[@]}"; do
  port=${PORT[$m]}
  while read -r cport answered; do
    read -r acceptor server _ < <(awk -v c="$cport" '$3 == c' "$WORK/$m")
    [ -n "$server" ] || fail "$m: the server recorded no connection from port $cport"
    want=${SERVED[$m]}

    # lookup, once the server answered
    "$SOCKOWNER" lookup --journal "$J" --json --at "$answered" tcp "127.0.0.1:$port" "127.0.0.1:$cport" \
      >"$WORK/l.json" || fail "$m: no owner for 127.0.0.1:$port -> 127.0.0.1:$cport"
    read -r pid name < <(json_fields "$WORK/l.json" pid name)
    [ "$pid" = "$server" ] && [ "$name" = "$want" ] ||
      fail "$m: the server side of :$cport is $pid ($name), the serving process is $server ($want), acceptor $acceptor"

    # the journal: the acceptor's interval, then the server's, meeting
    python3 - "$WORK/export.jsonl" "$port" "$cport" "$acceptor" "$server" "${ACCEPTOR[$m]}" "$want" <<'PY' ||
import json, sys
path, port, cport, acceptor, server = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rows = sorted((d for d in map(json.loads, open(path))
               if d["local_port"] == port and d["remote_port"] == cport), key=lambda d: d["opened"])
owners = [(d["pid"], d["name"]) for d in rows]
if owners != [(acceptor, sys.argv[6]), (server, sys.argv[7])]:
    sys.exit(f"owners in time order {owners}, expected {acceptor} {sys.argv[6]}, then {server} {sys.argv[7]}")
if rows[0]["closed"] != rows[1]["opened"]:
    sys.exit(f"the acceptor's interval ends {rows[0]['closed']}, the server's begins {rows[1]['opened']}")
PY
      fail "$m: intervals of :$cport"

    # every packet, with the plugin
    tshark_plugin -r cap.pcapng -o "proc.journal:$J" -Y "tcp.port == $cport && tcp.port == $port" -T fields -e frame.number \
      -e tcp.srcport -e tcp.len -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e proc.src.pid \
      -e proc.dst.pid -e proc.src.name -e proc.dst.name >"$WORK/p.txt" 2>"$WORK/tshark.err" ||
      fail "tshark: $(cat "$WORK/tshark.err")"
    [ "$(wc -l <"$WORK/p.txt")" -ge 6 ] || fail "$m: only $(wc -l <"$WORK/p.txt") packets for :$cport"
    # request: the server's unless the acceptor read it (recv); replies and FIN: the
    # server's; with execself, the first exchange is the first program's
    req=$server; [ "$m" = recv ] && req=$acceptor
    bad=$(awk -F'\t' -v p="$port" -v srv="$server" -v acc="$acceptor" -v req="$req" -v want="$want" \
              -v first="${ACCEPTOR[$m]}" -v m="$m" '
      $2 == p && $4 == 1                  { next }   # SYN-ACK: the kernel
      $2 != p && $4 == 1                  { if ($10 != "so-acceptor") print "SYN to the listener:", $0; next }
      m == "execself" && $3 > 0           { n = ($2 == p) ? ++out : ++in
                                            name = (n == 1) ? first : want
                                            if ($2 == p && ($7 != srv || $9 != name)) print "answer", n ":", $0
                                            if ($2 != p && ($8 != srv || $10 != name)) print "request", n ":", $0
                                            next }
      $2 == p && ($3 > 0 || $6 == 1)      { if ($7 != srv || $9 != want) print "from server:", $0; next }
      $2 != p && $3 > 0                   { if ($8 != req) print "request:", $0; next }' "$WORK/p.txt")
    [ -z "$bad" ] || { cat "$WORK/p.txt" >&2; fail "$m (acceptor $acceptor, server $server): $bad"; }
    checked=$((checked + 1))
    echo "ok $m: :$cport accepted by $acceptor, served by $server ($want)"
  done <"$WORK/$m.client"
done
[ "$checked" -eq 15 ] || fail "checked $checked connections, expected 15"
pass
