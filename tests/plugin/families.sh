#!/usr/bin/env bash
# An IPv4 socket never owns IPv6 traffic, nor an IPv6-only one IPv4 traffic; a
# dual-stack [::] socket owns both (IPv4 clients appear v4-mapped). Three http.servers
# (bound to 127.0.0.1, to ::1, to :: dual-stack) and curl over the other family and
# both: the refused connections' SYNs have no receiver and their RSTs are the kernel's,
# in tshark and in `sockowner lookup`; the dual-stack server's packets are python3's.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "dumpcap needs CAP_NET_RAW"
need_cmd curl
need_cmd dumpcap
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null || skip "no IPv6 on lo"

J=$WORK/j.db
COLLECT_MODE=ebpf start_capture_collector "$J"  # curl's refused sockets live well under a poll
v4=$(free_port); v6=$(free_port); dual=$(free_port)
start_dumpcap "tcp port $v4 or tcp port $v6 or tcp port $dual"
serve() {  # serve ADDR PORT
  (cd "$WORK" && exec python3 -m http.server --bind "$1" "$2" >/dev/null 2>&1) &
  CLEANUP_PIDS+=("$!")
}
serve 127.0.0.1 "$v4"; serve ::1 "$v6"; serve :: "$dual"
for p in "$v4" "$v6" "$dual"; do
  wait_until 10 bash -c "ss -Htln '( sport = :$p )' | grep -q LISTEN" || fail "no server on $p"
done
sleep 0.3
curl -s -g -o /dev/null "http://[::1]:$v4/" && fail "an IPv4-only server answered IPv6"
t_refused=$(date +%s.%N)
curl -s -o /dev/null "http://127.0.0.1:$v6/" && fail "an IPv6-only server answered IPv4"
curl -s -o /dev/null "http://127.0.0.1:$dual/" || fail "the dual-stack server did not answer IPv4"
curl -s -g -o /dev/null "http://[::1]:$dual/" || fail "the dual-stack server did not answer IPv6"
sleep 0.5
stop_dumpcap
stop_collector
chmod a+r "$WORK"/*
cd "$WORK" || fail "no $WORK"

fields() { tshark_plugin -r cap.pcapng -o "proc.journal:$J" -Y "$1" -T fields -e proc.src.name -e proc.dst.name; }
for p in "$v4" "$v6"; do
  syn=$(fields "tcp.dstport == $p && tcp.flags.syn == 1 && tcp.flags.ack == 0")
  [ "$syn" = "$(printf 'curl\t')" ] || fail "SYN to the other family's listener on $p: '$syn', expected curl and no receiver"
  rst=$(fields "tcp.srcport == $p && tcp.flags.reset == 1")
  [ "$rst" = "$(printf '[kernel]\tcurl')" ] || fail "RST from $p: '$rst', expected the kernel's, to curl"
done
echo "ok: refused across families: no receiver, the kernel's RST"
cport=$(tshark_plugin -r cap.pcapng -Y "tcp.dstport == $v4 && tcp.flags.syn == 1" -T fields -e tcp.srcport | head -1)
"$SOCKOWNER" lookup --journal "$J" --at "$t_refused" tcp "[::1]:$v4" "[::1]:$cport" >"$WORK/lookup.txt" 2>&1 &&
  fail "lookup names an owner for [::1]:$v4: $(cat "$WORK/lookup.txt")"
"$SOCKOWNER" lookup --journal "$J" --at "$t_refused" tcp "127.0.0.1:$v4" "127.0.0.1:$cport" >/dev/null ||
  fail "lookup does not find the IPv4 listener on 127.0.0.1:$v4"

both=$(fields "tcp.port == $dual && !(tcp.flags.syn == 1 && tcp.flags.ack == 1)" | sort | uniq -c | awk '{print $2 "-" $3}' | sort | tr '\n' ' ')
[ "$both" = "curl-python3 python3-curl " ] || fail "dual-stack server's packets: $both"
[ "$(fields "tcp.port == $dual && ip.version == 4" | wc -l)" -ge 5 ] &&
  [ "$(fields "tcp.port == $dual && ipv6" | wc -l)" -ge 5 ] || fail "not both families seen on the dual-stack server"
echo "ok: the dual-stack server owns its IPv4 and IPv6 packets"
pass
