#!/usr/bin/env bash
# Acceptance (eBPF issue): 200 sequential curl runs against python's http.server: 200
# curl sockets from 200 different pids, and the server's 200 accepted sockets, all in
# the journal with the right names.
. "$TESTS_DIR/lib.sh"
need_cmd curl

J=$WORK/j.db
start_ebpf_collector "$J"
port=$(free_port)
(cd "$WORK" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
PY=$!
CLEANUP_PIDS+=("$PY")
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "http.server did not start"
sleep 0.2
since=$(date +%s.%N)
for i in $(seq 200); do curl -s "http://127.0.0.1:$port/" >/dev/null || fail "curl $i failed"; done
sleep 0.3
stop_collector
"$SOCKOWNER" export --journal "$J" --since "$since" >"$WORK/export.jsonl"
python3 - "$WORK/export.jsonl" "$port" "$PY" <<'PY' || fail "attribution incomplete"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
port, server = int(sys.argv[2]), int(sys.argv[3])
clients = [r for r in rows if r["proto"] == "tcp" and r["remote_port"] == port]
accepted = [r for r in rows if r["proto"] == "tcp" and r["local_port"] == port and r["remote_port"] != 0]
curl_pids = {r["pid"] for r in clients if r["name"] == "curl"}
print(f"{len(clients)} client sockets, {len(curl_pids)} curl pids; {len(accepted)} accepted sockets")
assert len(clients) == 200 and all(r["name"] == "curl" for r in clients), [r for r in clients if r["name"] != "curl"][:3]
assert len(curl_pids) == 200
assert all(r["cmdline"].startswith("curl -s http://127.0.0.1:") for r in clients), clients[0]["cmdline"]
assert len(accepted) == 200, len(accepted)
assert all(r["pid"] == server and r["name"] == "python3" for r in accepted), [r for r in accepted if r["pid"] != server][:3]
# Every client socket has its server-side twin.
assert {r["local_port"] for r in clients} == {r["remote_port"] for r in accepted}
PY
pass
