#!/usr/bin/env bash
# Every socket kind the kernel programs track, opened by a child process, is in the
# journal with the child's pid and name within 200 ms: TCP v4/v6 (listener, client,
# accepted), UDP v4/v6 (connected, unconnected, receive-only), ICMP and ICMPv6 echo
# sockets, and a socket opened by a thread with its own name.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
start_ebpf_collector "$J"

# Ping sockets need the caller's group in this range; restore it afterwards.
old_range=$(sysctl -n net.ipv4.ping_group_range)
sysctl -qw net.ipv4.ping_group_range="0 2147483647"
trap 'sysctl -qw net.ipv4.ping_group_range="$old_range"; cleanup' EXIT

python3 "$TESTS_DIR/ebpf/socket_kinds.py" "$WORK/kinds.txt" 60 &
CHILD=$!
CLEANUP_PIDS+=("$CHILD")
wait_until 10 test -s "$WORK/kinds.txt" || fail "child did not start"
sleep 0.2  # the promise: rows within 200 ms

n=0
while read -r desc proto src dst; do
  case "$desc" in READY|"#"*) continue ;; esac
  "$SOCKOWNER" lookup --journal "$J" --json "$proto" "$src" "$dst" >"$WORK/l.json" 2>"$WORK/l.err" ||
    { intervals "$J" >&2; fail "$desc ($proto $src -> $dst): $(cat "$WORK/l.err")"; }
  read -r pid name source < <(json_fields "$WORK/l.json" pid name source)
  [ "$pid" = "$CHILD" ] || fail "$desc: pid $pid, expected $CHILD"
  [ "$name" = so-kinds ] || fail "$desc: name '$name', expected so-kinds (the process's, not the thread's)"
  [ "$source" = ebpf ] || fail "$desc: source $source"
  echo "ok $desc: $proto $src -> $dst = $pid $name"
  n=$((n + 1))
done <"$WORK/kinds.txt"
grep -q '^ping4 ' "$WORK/kinds.txt" || fail "ping sockets could not be created"
[ "$n" -eq 19 ] || fail "checked $n sockets, expected 19"

# The exec event gave the command line and executable even for this short-lived child.
"$SOCKOWNER" lookup --journal "$J" --json tcp "$(awk '$1=="tcp4-client"{print $3}' "$WORK/kinds.txt")" \
  "$(awk '$1=="tcp4-client"{print $4}' "$WORK/kinds.txt")" >"$WORK/l.json"
json_get "$WORK/l.json" cmdline | grep -q 'socket_kinds.py' || fail "cmdline: $(json_get "$WORK/l.json" cmdline)"
[ -n "$(json_get "$WORK/l.json" exe)" ] || fail "no exe recorded"

kill "$CHILD"; wait "$CHILD"
sleep 0.3
# Closed with the process: every interval of the child has an end now.
open=$(intervals "$J" | awk -v p="$CHILD" '$4==p && $7=="open"' | wc -l)
[ "$open" -eq 0 ] || { intervals "$J" | awk -v p="$CHILD" '$4==p' >&2; fail "$open intervals of the exited child still open"; }
stop_collector
pass
