#!/usr/bin/env bash
# A restarted collector keeps its state: the programs stay attached through their
# pinned links, and what happened while no collector ran waits in the pinned ring
# buffer. `sockowner cleanup` removes the pins.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
start_ebpf_collector "$J"
conn() {  # conn NAME OUTFILE HOLD: a named process with a TCP connection
  python3 - "$@" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
with open(sys.argv[2] + ".tmp", "w") as f:
    print(os.getpid(), cli.getsockname()[1], lst.getsockname()[1], file=f)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(float(sys.argv[3]))
PY
}
conn so-before "$WORK/a.txt" 60
A=$!; CLEANUP_PIDS+=("$A")
wait_until 5 test -s "$WORK/a.txt" || fail "first connection"
sleep 0.2
stop_collector
links=$(ls "$PIN_DIR"/ | grep -c '^link_')
[ "$links" -gt 0 ] || fail "no pinned links after the collector stopped"

# While no collector runs: a connection that opens and closes, from a process that exits.
conn so-while-down "$WORK/b.txt" 0.2
B=$!
wait "$B"
[ -s "$WORK/b.txt" ] || fail "second connection"

start_ebpf_collector "$J"
grep -q "reusing $links pinned programs" "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "pinned programs not reused"; }
sleep 0.3
check() {  # check FILE NAME
  read -r pid cport lport <"$1"
  "$SOCKOWNER" lookup --journal "$J" --json --at "$3" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/l.json" ||
    fail "$2: no owner for 127.0.0.1:$cport -> 127.0.0.1:$lport"
  read -r p n < <(json_fields "$WORK/l.json" pid name)
  [ "$p" = "$pid" ] && [ "$n" = "$2" ] || fail "$2: owner $p $n, expected $pid $2"
  echo "ok $2: $p $n"
}
check "$WORK/a.txt" so-before now
check "$WORK/b.txt" so-while-down -1s
# The first run's open interval was carried over, not duplicated.
read -r _ acport alport <"$WORK/a.txt"
rows=$(intervals "$J" | awk -v s="127.0.0.1:$acport" '$2==s' | wc -l)
[ "$rows" -eq 1 ] || { intervals "$J" >&2; fail "$rows intervals for the connection that lived through the restart"; }
stop_collector

"$SOCKOWNER" cleanup --pin-dir "$PIN_DIR" | grep -q 'removed' || fail "cleanup"
[ ! -e "$PIN_DIR" ] || fail "pins left after cleanup"
[ -z "$(bpftool link list 2>/dev/null | grep -F "$PIN_DIR")" ] || true
pass
