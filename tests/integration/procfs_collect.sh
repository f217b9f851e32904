#!/usr/bin/env bash
# `sockowner collect --mode procfs` attributes a child's TCP listener, TCP client
# connection and UDP socket to the child's pid and comm; SIGTERM stops it cleanly.
. "$TESTS_DIR/lib.sh"
need_root "procfs mode must see every process's fd table"

J=$WORK/j.db
start_collector "$J" --mode procfs --poll-interval 100

# The child names itself, opens its sockets, reports them, holds them until told to
# close them (a loaded machine may take seconds for the checks below; at most 60 s).
python3 - "$WORK/child.txt" "$WORK/release" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-test-child")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname())
acc, _ = lst.accept()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), lst.getsockname()[1], cli.getsockname()[1], udp.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
for _ in range(600):  # through every check below
    if os.path.exists(sys.argv[2]):
        break
    time.sleep(0.1)
PY
CHILD=$!
CLEANUP_PIDS+=("$CHILD")
wait_until 5 test -s "$WORK/child.txt" || fail "child did not start"
read -r pid lport cport uport <"$WORK/child.txt"
[ "$pid" = "$CHILD" ] || fail "child pid $pid != $CHILD"
sleep 0.5  # a few polls

check() {  # check DESCRIPTION PROTO SRC DST
  "$SOCKOWNER" lookup --journal "$J" --json "$2" "$3" "$4" >"$WORK/l.json" 2>"$WORK/l.err" ||
    fail "$1: lookup $2 $3 $4 failed: $(cat "$WORK/l.err")"
  [ "$(json_get "$WORK/l.json" pid)" = "$pid" ] || fail "$1: pid $(json_get "$WORK/l.json" pid), expected $pid"
  [ "$(json_get "$WORK/l.json" name)" = "so-test-child" ] || fail "$1: name $(json_get "$WORK/l.json" name)"
  [ "$(json_get "$WORK/l.json" source)" = "procfs" ] || fail "$1: source $(json_get "$WORK/l.json" source)"
}
check "TCP client"   tcp "127.0.0.1:$cport" "127.0.0.1:$lport"
check "TCP accepted" tcp "127.0.0.1:$lport" "127.0.0.1:$cport"
check "TCP listener" tcp "127.0.0.1:$lport" "127.0.0.1:1"
check "UDP socket"   udp "127.0.0.1:$uport" "10.9.9.9:53"

# Who owns what now (ls), and export filtered by process and port.
"$SOCKOWNER" ls --journal "$J" so-test-child >"$WORK/ls.txt" || fail "ls found nothing for so-test-child"
[ "$(grep -c " $pid so-test-child " "$WORK/ls.txt")" -eq 4 ] || fail "ls: $(cat "$WORK/ls.txt")"
"$SOCKOWNER" ls --journal "$J" "$uport" | grep -q "udp .*127.0.0.1:$uport .* $pid so-test-child" || fail "ls PORT"
"$SOCKOWNER" ls --journal "$J" no-such-process >/dev/null && fail "ls of an unknown name found something"
[ "$("$SOCKOWNER" export --journal "$J" --pid "$pid" | wc -l)" -eq 4 ] || fail "export --pid"
[ "$("$SOCKOWNER" export --journal "$J" --name so-test-child --port "$lport" | wc -l)" -eq 3 ] ||
  fail "export --name --port: $("$SOCKOWNER" export --journal "$J" --name so-test-child --port "$lport")"

touch "$WORK/release"
wait "$CHILD"
sleep 0.5
# After the child has gone its intervals are closed, and still answer for the past.
"$SOCKOWNER" lookup --journal "$J" --json --at -1s tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/l.json" ||
  fail "lookup of the closed connection failed"
[ -n "$(json_get "$WORK/l.json" closed)" ] || fail "interval not closed after the child exited"
sleep 1.2
"$SOCKOWNER" lookup --journal "$J" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" 2>"$WORK/hint.txt" &&
  fail "lookup without --at found the closed connection"
grep -q "none open now: give the packet's time, e.g. --at" "$WORK/hint.txt" || fail "no --at hint: $(cat "$WORK/hint.txt")"

stop_collector
grep -q 'signal 15: flushing' "$WORK/collector.log" || fail "no clean-shutdown message"
"$SOCKOWNER" stats --journal "$J" --json >"$WORK/stats.json" || fail "stats failed"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); r=s["runs"][-1]; assert r["stopped"] and r["mode"]=="procfs", r' \
  "$WORK/stats.json" || fail "the run was not recorded as stopped"
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl" || fail "export failed"
n=$(all_lines_json "$WORK/export.jsonl") || fail "export wrote a line that is not JSON"
[ "$n" -ge 4 ] || fail "export wrote $n lines"
pass
