#!/usr/bin/env bash
# A connection opened before the collector started is attributed too: the start-up
# snapshot (BPF socket iterators, joined to processes through /proc) finds it.
. "$TESTS_DIR/lib.sh"
need_root "loading BPF programs"

python3 - "$WORK/conn.txt" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-old-conn")
lst = socket.socket(socket.AF_INET6); lst.bind(("::1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()[:2]); acc, _ = lst.accept()
with open(sys.argv[1] + ".tmp", "w") as f:
    print(cli.getsockname()[1], lst.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
OLD=$!
CLEANUP_PIDS+=("$OLD")
wait_until 5 test -s "$WORK/conn.txt" || fail "connection not set up"
read -r cport lport <"$WORK/conn.txt"
sleep 0.3

J=$WORK/j.db
start_ebpf_collector "$J"
sleep 0.3
for tuple in "[::1]:$cport [::1]:$lport" "[::1]:$lport [::1]:$cport" "[::1]:$lport [::1]:1"; do
  "$SOCKOWNER" lookup --journal "$J" --json tcp $tuple >"$WORK/l.json" || fail "no owner for $tuple"
  read -r pid name source < <(json_fields "$WORK/l.json" pid name source)
  [ "$pid" = "$OLD" ] && [ "$name" = so-old-conn ] || fail "$tuple: $pid $name, expected $OLD so-old-conn"
  [ "$source" = iterator ] || fail "$tuple: source $source, expected iterator"
  echo "ok $tuple: $pid $name ($source)"
done
stop_collector
pass
