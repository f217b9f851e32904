#!/usr/bin/env bash
# sockowner annotate on a real capture against editcap copying it (the target: at most
# 1.5x). The capture: the eBPF collector running, Python's ThreadingHTTPServer
# speaking HTTP/1.1 on loopback, CLIENTS http.client processes each making CONNS
# connections of one request and then CONNS requests on one kept-alive connection,
# dumpcap on lo. Checks that every packet of the exchange got both owners, then times
# editcap and annotate in alternating rounds (medians of RUNS), each run with no
# output left over and the page cache written back (sync) before it.
#
# WORKLOAD=udp instead: a Python UDP server answering each datagram, the clients each
# sending CONNS requests from a new socket apiece (a resolver's pattern: two small
# packets and a new socket per request, the worst case for annotate, whose comment is
# many times such a packet).
#
# usage: sudo [WORKLOAD=http|udp] bench/annotate_real.sh [BUILD_DIR=build] [CONNS=20000] [RUNS=5] [CLIENTS=2]
# OTHER_SOCKOWNER=path/to/another/sockowner adds that build on the same files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/annotate_lib.sh"
build=$(cd "${1:-$here/../build}" && pwd); conns=${2:-20000}; runs=${3:-5}; clients=${4:-2}
export SOCKOWNER=$build/collector/sockowner
[ -x "$SOCKOWNER" ] || { echo "build first: $SOCKOWNER missing" >&2; exit 1; }
for c in hyperfine editcap dumpcap tshark python3; do command -v $c >/dev/null || { echo "$c not installed" >&2; exit 1; }; done
set +u
. "$here/../tests/lib.sh"
set -u
start_ebpf_collector "$WORK/j.db"
port=$(free_port)
workload=${WORKLOAD:-http}
case $workload in
http) ;;
udp)
cat >"$WORK/server.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(b"answer " + data, addr)
PY
cat >"$WORK/client.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):  # a new socket per request
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    c.sendto(b"query %d" % i, ("127.0.0.1", port))
    try:
        c.recv(2048)
    except socket.timeout:
        pass
    c.close()
PY
;;
*) echo "WORKLOAD: http or udp" >&2; exit 2 ;;
esac
[ "$workload" = udp ] || cat >"$WORK/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms wait for an ACK
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"x" * 64
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
[ "$workload" = udp ] || cat >"$WORK/client.py" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(n):  # a connection per request
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/")
    c.getresponse().read()
    c.close()
c = http.client.HTTPConnection("127.0.0.1", port)  # then one kept alive
for _ in range(n):
    c.request("GET", "/")
    c.getresponse().read()
c.close()
PY
python3 "$WORK/server.py" "$port" &
CLEANUP_PIDS+=($!)
if [ "$workload" = udp ]; then
  sleep 0.5  # nothing to connect to: the server binds at once
  start_dumpcap "udp port $port"
  echo "capturing: $clients clients x $conns requests, each from a new UDP socket..."
else
  wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || fail "server did not start"
  start_dumpcap "tcp port $port"
  echo "capturing: $clients clients x ($conns connections + $conns kept-alive requests)..."
fi
pids=()
for ((i = 0; i < clients; i++)); do python3 "$WORK/client.py" "$port" "$conns" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
sleep 0.5
stop_dumpcap
stop_collector
cd "$WORK"
"$SOCKOWNER" annotate cap.pcapng -o check.pcapng --journal j.db 2>&1 | tee annotate.log
read -r total both < <(sed -n 's/^sockowner: \([0-9]*\) packets, [0-9]* with an owner (\([0-9]*\) with both ends).*/\1 \2/p' annotate.log) || true
total=${total:-0} both=${both:-0}  # no summary line: the check below says so
echo "capture: $(du -m cap.pcapng | cut -f1) MB in, $(du -m check.pcapng | cut -f1) MB out; $("$SOCKOWNER" stats --journal j.db 2>/dev/null | grep -m1 -i interval || true)"
[ "$total" -gt 0 ] && [ "$both" = "$total" ] || fail "$both of $total packets with both owners"
compare_with_editcap "$SOCKOWNER" "${OTHER_SOCKOWNER:-}"
