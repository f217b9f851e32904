#!/usr/bin/env bash
# End to end: the collector records while dumpcap captures loopback traffic (a
# rate-limited curl download from python's http.server, stopped after 2 s, a UDP exchange between two python3
# processes, a connection refused by the kernel, a ping); tshark -r with the plugin then names
# the right process on each side of every packet.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "procfs mode must see every process's fd table; dumpcap needs CAP_NET_RAW"
need_cmd curl
need_cmd dumpcap
need_cmd ss
need_cmd ping

J=$WORK/j.db
start_capture_collector "$J"

port=$(free_port)
uport=$(free_port)
closed=$(free_port)
start_dumpcap "tcp port $port or udp port $uport or tcp port $closed or (icmp and host 127.0.0.3)"

start_http_server "$port"

# UDP: a server answering each datagram, a client sending one every 100 ms for 1.5 s.
start_udp_exchange "$uport" 6
start_download "$port"
cport=""
find_cport() { cport=$(ss -Htnp "( dport = :$port )" | grep "pid=$CURL," | awk '{print $4}' | sed 's/.*://'); [ -n "$cport" ]; }
wait_until 10 find_cport || fail "curl's connection not found: $(ss -Htnp "( dport = :$port )")"

# The kernel refuses a connection to a closed port (from bash, so that curl's packets
# are the download's alone).
bash -c "exec 3<>/dev/tcp/127.0.0.1/$closed" 2>/dev/null

# ping: through a ping socket where net.ipv4.ping_group_range lets it, else (root on
# a default Debian) a raw socket whose echo id is ping's pid.
ping -c 3 -i 0.2 127.0.0.3 >/dev/null &
PING=$!
wait "$PING" || fail "ping failed"

sleep 2
kill -TERM "$CURL"
wait "$CURL"
wait "$UDP_CLIENT" || fail "the UDP client failed"
sleep 0.3  # the collector sees the sockets closed
stop_dumpcap
stop_collector
chmod a+r "$WORK/cap.pcapng" "$J"*

R=(-r cap.pcapng -o "proc.journal:$J")
cd "$WORK" || fail "no $WORK"

# Acceptance: curl's packets, each with the process on both ends; the SYN-ACK, which
# the kernel sends before python3 accepts, from the kernel.
tshark_plugin "${R[@]}" -Y 'proc.name == "curl"' -T fields -e frame.number -e proc.src.name -e proc.dst.name \
  -e tcp.flags.syn -e tcp.flags.ack >curl.txt 2>err.txt || fail "tshark: $(cat err.txt)"
[ "$(wc -l <curl.txt)" -ge 20 ] || fail "only $(wc -l <curl.txt) packets of curl: $(cat curl.txt)"
bad=$(awk -F'\t' '!(($2 == "curl" && $3 == "python3") || ($2 == "python3" && $3 == "curl") ||
                   ($4 == 1 && $5 == 1 && $2 == "[kernel]" && $3 == "curl"))' curl.txt)
[ -z "$bad" ] || fail "curl's packets without both owners: $bad"
[ "$(awk -F'\t' '$4 == 1 && $5 == 1' curl.txt | wc -l)" -eq 1 ] || fail "expected one SYN-ACK: $(cat curl.txt)"

# Every packet of the download, in both directions, with the right pids.
tshark_plugin "${R[@]}" -Y "tcp.port == $cport" -T fields -e frame.number -e tcp.srcport \
  -e proc.src.pid -e proc.dst.pid -e tcp.flags.syn -e tcp.flags.ack >download.txt 2>/dev/null || fail "tshark (download) failed"
[ "$(wc -l <download.txt)" -ge 20 ] || fail "download has only $(wc -l <download.txt) packets"
bad=$(awk -F'\t' -v c="$cport" -v curl="$CURL" -v py="$PY" \
  '!(($2 == c && $3 == curl && $4 == py) || ($2 != c && $3 == py && $4 == curl) ||
     ($2 != c && $5 == 1 && $6 == 1 && $3 == "" && $4 == curl))' download.txt)
[ -z "$bad" ] || fail "download packets with wrong owners (curl $CURL, python3 $PY): $bad"

# UDP between the two python3 processes: both owners on every datagram.
tshark_plugin "${R[@]}" -Y "udp.port == $uport" -T fields -e udp.srcport -e proc.src.pid -e proc.dst.pid \
  -e proc.src.name -e proc.dst.name >udp.txt 2>/dev/null || fail "tshark (udp) failed"
[ "$(wc -l <udp.txt)" -eq 30 ] || fail "expected 30 datagrams, got $(wc -l <udp.txt)"
bad=$(awk -F'\t' -v u="$uport" -v s="$UDP_SERVER" -v c="$UDP_CLIENT" \
  '!($4 == "python3" && $5 == "python3" && (($1 == u && $2 == s && $3 == c) || ($1 != u && $2 == c && $3 == s)))' udp.txt)
[ -z "$bad" ] || fail "datagrams with wrong owners (server $UDP_SERVER, client $UDP_CLIENT): $bad"

# ping's echo requests are ping's, the replies the kernel's, to ping.
tshark_plugin "${R[@]}" -Y "icmp" -T fields -e icmp.type -e proc.src.name -e proc.src.pid -e proc.dst.name \
  -e proc.dst.pid >ping.txt 2>/dev/null || fail "tshark (ping) failed"
[ "$(wc -l <ping.txt)" -eq 6 ] || fail "expected 3 echo requests and 3 replies: $(cat ping.txt)"
bad=$(awk -F'\t' -v p="$PING" '!(($1 == 8 && $2 == "ping" && $3 == p && $4 == "[kernel]") ||
                                 ($1 == 0 && $2 == "[kernel]" && $4 == "ping" && $5 == p))' ping.txt)
[ -z "$bad" ] || fail "ping's packets with wrong owners (ping $PING): $bad"

# The refusal: sent by the kernel.
tshark_plugin "${R[@]}" -Y "tcp.srcport == $closed && tcp.flags.reset == 1" -T fields -e proc.src.name \
  -e proc.src.source >rst.txt 2>/dev/null
[ "$(cat rst.txt)" = "[kernel]	kernel" ] || fail "RST from the closed port: '$(cat rst.txt)'"

# Statistics › Processes.
tshark_plugin "${R[@]}" -q -z proc,tree >stats.txt 2>/dev/null || fail "tshark -z proc,tree failed"
# By program, then pid: "program pid" for each pid line, under the program above it.
awk '/^ [^ ]/ { prog = $1 } /^  pid [0-9]+ / { print prog, $2 }' stats.txt >pids.txt
grep -qx "curl $CURL" pids.txt || fail "curl $CURL not in the statistics: $(cat stats.txt)"
grep -qx "python3 $PY" pids.txt || fail "python3 $PY not in the statistics: $(cat stats.txt)"
# The capture annotated (sockowner annotate), read where there is no journal: the same
# owners on every packet, from the comments alone.
"$SOCKOWNER" annotate cap.pcapng -o annotated.pcapng --journal "$J" -q || fail "annotate failed"
chmod a+r annotated.pcapng
E2E_FIELDS=(-T fields -e frame.number)
for side in src dst; do for f in pid name exe cmdline user match; do E2E_FIELDS+=(-e "proc.$side.$f"); done; done
tshark_plugin "${R[@]}" "${E2E_FIELDS[@]}" >journal_fields.txt 2>/dev/null || fail "tshark (journal fields) failed"
tshark_plugin -r annotated.pcapng -o proc.journal:"$WORK/none.db" "${E2E_FIELDS[@]}" >comment_fields.txt 2>/dev/null ||
  fail "tshark (annotated) failed"
grep -q "	curl	" comment_fields.txt || fail "no curl in the annotated capture's fields"
diff journal_fields.txt comment_fields.txt >/dev/null ||
  fail "annotated capture read without the journal differs: $(diff journal_fields.txt comment_fields.txt | head -5)"
n=$(tshark_bare -r annotated.pcapng -Y "frame.comment contains \"curl $CURL\"" 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || fail "stock tshark finds no frame.comment with curl $CURL"
pass
