#!/usr/bin/env bash
# Rotation through the package's logrotate snippet (debian/sockowner.logrotate, its
# paths and signal pointed at this test's collector) while curl keeps fetching from
# http.server: no row lost. The rotated file is self-contained; across it and the new
# journal, every one of curl's connections is there, with its owner.
. "$TESTS_DIR/lib.sh"
need_root "loading BPF programs"
need_cmd logrotate
need_cmd curl
J=$WORK/journal.db
start_ebpf_collector "$J"  # every connection, however short
port=$(free_port)
(cd "$WORK" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
PY=$!; CLEANUP_PIDS+=("$PY")
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || fail "http.server did not start"

# curl, a fetch every 100 ms for 4 s.
truncate -s 256K "$WORK/blob"
(end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
   curl -s -o /dev/null -w '%{local_port}\n' "http://127.0.0.1:$port/blob" >>"$WORK/ports.txt"
   sleep 0.1
 done) &
LOAD=$!
sed -e "s|/var/lib/sockowner/journal.db|$J|" \
    -e "s|systemctl kill --signal=HUP sockowner.service.*|kill -HUP $COLLECTOR_PID|" \
    "$SOURCE_DIR/debian/sockowner.logrotate" >"$WORK/logrotate.conf"
grep -q "kill -HUP $COLLECTOR_PID" "$WORK/logrotate.conf" || fail "the snippet's postrotate was not found"
sleep 1.5
logrotate -f -s "$WORK/logrotate.state" "$WORK/logrotate.conf" || fail "logrotate failed"
wait "$LOAD"
sleep 0.5
stop_collector
[ -f "$J.1" ] || fail "logrotate did not rotate: $(ls "$WORK")"
[ ! -e "$J.1-wal" ] || fail "the rotated journal is not self-contained"
"$SOCKOWNER" export --journal "$J.1" >"$WORK/all.jsonl"
"$SOCKOWNER" export --journal "$J" >>"$WORK/all.jsonl"
python3 - "$WORK/ports.txt" "$WORK/all.jsonl" "$port" <<'PY' || fail "rows lost in the rotation"
import json, sys
port = int(sys.argv[3])
owners = {d["local_port"]: d["name"] for d in map(json.loads, open(sys.argv[2]))
          if d["remote_port"] == port}
ports = [int(p) for p in open(sys.argv[1]) if p.strip()]
missing = [p for p in ports if owners.get(p) != "curl"]
print(f"{len(ports) - len(missing)} of {len(ports)} curl connections in the rotated and the new journal")
sys.exit(1 if missing else 0)
PY
before=$(sqlite3 "$J.1" "SELECT count(*) FROM sockets WHERE remote_port = $port")
after=$(sqlite3 "$J" "SELECT count(*) FROM sockets WHERE remote_port = $port")
[ "$before" -gt 0 ] && [ "$after" -gt 0 ] || fail "the rotation did not fall inside the traffic ($before before, $after after)"
pass
