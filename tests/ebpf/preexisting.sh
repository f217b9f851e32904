#!/usr/bin/env bash
# Sockets opened before the collector started are attributed too: the start-up
# snapshot finds TCP through the BPF socket iterators (joined to processes through
# /proc), ICMP echo and raw sockets (which no iterator lists) through /proc/net.
. "$TESTS_DIR/lib.sh"
need_root "loading BPF programs"
old_range=$(sysctl -n net.ipv4.ping_group_range)
sysctl -qw net.ipv4.ping_group_range="0 2147483647"
trap 'sysctl -qw net.ipv4.ping_group_range="$old_range"; cleanup' EXIT

python3 - "$WORK/conn.txt" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-old-conn")
lst = socket.socket(socket.AF_INET6); lst.bind(("::1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()[:2]); acc, _ = lst.accept()
ping = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
ping.bind(("127.0.0.1", 0))
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)  # 253: experimental protocol
with open(sys.argv[1] + ".tmp", "w") as f:
    print(cli.getsockname()[1], lst.getsockname()[1], ping.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
OLD=$!
CLEANUP_PIDS+=("$OLD")
wait_until 5 test -s "$WORK/conn.txt" || fail "connection not set up"
read -r cport lport ping_id <"$WORK/conn.txt"
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
for q in "icmp 127.0.0.1:$ping_id 127.0.0.1:0" "raw 0.0.0.0:253 0.0.0.0:0"; do
  "$SOCKOWNER" lookup --journal "$J" --json $q >"$WORK/l.json" || { intervals "$J" >&2; fail "no owner for $q"; }
  read -r pid name source < <(json_fields "$WORK/l.json" pid name source)
  [ "$pid" = "$OLD" ] && [ "$name" = so-old-conn ] && [ "$source" = procfs ] ||
    fail "$q: $pid $name ($source), expected $OLD so-old-conn (procfs)"
  echo "ok $q: $pid $name ($source)"
done
# A restarted collector finds them again and carries their intervals on: neither
# duplicated nor closed.
stop_collector
start_ebpf_collector "$J"
sleep 0.3
stop_collector
intervals "$J" | grep " $OLD so-old-conn procfs " >"$WORK/procfs.txt" || true
[ "$(grep -c ' open$' "$WORK/procfs.txt")" -eq 2 ] && [ "$(wc -l <"$WORK/procfs.txt")" -eq 2 ] ||
  { cat "$WORK/procfs.txt" >&2; fail "expected the two ICMP and raw intervals, open, once each"; }
pass
