#!/usr/bin/env bash
# Acceptance (foundation issue): a slow curl download from python's http.server;
# `sockowner lookup --json` names curl for its tuple and python3 for the reverse one.
. "$TESTS_DIR/lib.sh"
need_root "procfs mode must see every process's fd table"
need_cmd curl

J=$WORK/j.db
start_collector "$J" --mode procfs
port=$(free_port)
head -c 300000 /dev/urandom >"$WORK/blob"
(cd "$WORK" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
PY=$!
CLEANUP_PIDS+=("$PY")
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "http.server did not start"
curl -s --limit-rate 1k -o /dev/null "http://127.0.0.1:$port/blob" &
CURL=$!
CLEANUP_PIDS+=("$CURL")

cport=""
find_cport() { cport=$(ss -Htnp state established "( dport = :$port )" | grep "pid=$CURL," | awk '{print $3}' | sed 's/.*://'); [ -n "$cport" ]; }
wait_until 5 find_cport || fail "curl's connection not found"
sleep 1.2  # two polls

"$SOCKOWNER" lookup --journal "$J" --json tcp "127.0.0.1:$cport" "127.0.0.1:$port" >"$WORK/curl.json" ||
  fail "lookup of curl's tuple failed"
[ "$(json_get "$WORK/curl.json" pid)" = "$CURL" ] || fail "pid $(json_get "$WORK/curl.json" pid), curl is $CURL"
[ "$(json_get "$WORK/curl.json" name)" = curl ] || fail "name $(json_get "$WORK/curl.json" name)"
json_get "$WORK/curl.json" cmdline | grep -q -- "--limit-rate 1k" || fail "cmdline $(json_get "$WORK/curl.json" cmdline)"
[ "$(json_get "$WORK/curl.json" user)" = root ] || fail "user $(json_get "$WORK/curl.json" user)"
[ "$(json_get "$WORK/curl.json" source)" = procfs ] || fail "source $(json_get "$WORK/curl.json" source)"

"$SOCKOWNER" lookup --journal "$J" --json tcp "127.0.0.1:$port" "127.0.0.1:$cport" >"$WORK/py.json" ||
  fail "lookup of the reverse tuple failed"
[ "$(json_get "$WORK/py.json" pid)" = "$PY" ] || fail "reverse pid $(json_get "$WORK/py.json" pid), python is $PY"
[ "$(json_get "$WORK/py.json" name)" = python3 ] || fail "reverse name $(json_get "$WORK/py.json" name)"

"$SOCKOWNER" export --journal "$J" --format jsonl >"$WORK/all.jsonl" || fail "export failed"
all_lines_json "$WORK/all.jsonl" >/dev/null || fail "export wrote a line that is not JSON"
"$SOCKOWNER" export --journal "$J" --format csv >"$WORK/all.csv" || fail "csv export failed"
head -1 "$WORK/all.csv" | grep -q '^proto,family,local_addr,local_port,remote_addr,remote_port,opened,closed,pid,name' ||
  fail "csv header: $(head -1 "$WORK/all.csv")"
stop_collector
pass
