#!/usr/bin/env bash
# Accepted connections belong to the process that accepts them: in a pre-fork server,
# the worker, not the master that listens, even when the client's data arrives before
# the worker calls accept().
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
start_ebpf_collector "$J"

for delay in 0 0.3; do
  out=$WORK/accepted-$delay
  python3 "$TESTS_DIR/ebpf/prefork.py" "$out" "$delay" &
  MASTER=$!
  CLEANUP_PIDS+=("$MASTER")
  wait_until 5 test -s "$out.port" || fail "server did not start"
  port=$(cat "$out.port")
  python3 -c '
import socket, sys
cs = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
for c in cs: c.send(b"hello")  # before any worker has accepted, when delayed
' "$port" || fail "client failed"
  wait_until 5 has_lines "$out" 2 || fail "workers did not accept"
  sleep 0.2
  while read -r worker sport cport; do
    "$SOCKOWNER" lookup --journal "$J" --json tcp "127.0.0.1:$sport" "127.0.0.1:$cport" >"$WORK/l.json" ||
      fail "delay $delay: no owner for the accepted socket $sport -> $cport"
    read -r pid name match < <(json_fields "$WORK/l.json" pid name match)
    [ "$pid" = "$worker" ] || fail "delay $delay: accepted socket owned by $pid ($name), the worker is $worker (master $MASTER)"
    [ "$name" = so-worker ] || fail "delay $delay: name $name"
    [ "$match" = exact ] || fail "delay $delay: matched $match, not the accepted socket itself"
    # One interval, re-attributed: from its first packet on, the worker's.
    at=$(intervals "$J" | awk -v s="127.0.0.1:$sport" -v c="127.0.0.1:$cport" '$2==s && $3==c' | wc -l)
    [ "$at" -eq 1 ] || fail "delay $delay: $at intervals for the accepted socket"
    echo "ok delay $delay: $sport -> $cport owned by worker $worker"
  done <"$out"
  pkill -P "$MASTER"; kill "$MASTER"; wait "$MASTER" 2>/dev/null
done
stop_collector
pass
