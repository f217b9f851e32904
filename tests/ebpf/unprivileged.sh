#!/usr/bin/env bash
# Without privileges the collector falls back to procfs and says why, in the log and
# in `stats`; --mode ebpf fails with the same reason instead.
. "$TESTS_DIR/lib.sh"
need_root "setpriv to an unprivileged user"
need_cmd setpriv

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
J=$WORK/nobody/j.db
mkdir -p "$WORK/nobody" && chown 65534:65534 "$WORK/nobody"

"${NOBODY[@]}" "$SOCKOWNER" collect --journal "$J" --pin-dir "$PIN_DIR" >"$WORK/auto.log" 2>&1 &
C=$!; CLEANUP_PIDS+=("$C")
wait_until 10 grep -q 'mode:' "$WORK/auto.log" || { cat "$WORK/auto.log" >&2; fail "no mode line"; }
grep -q 'mode: procfs (missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (not root)' "$WORK/auto.log" ||
  fail "unexpected mode line: $(grep 'mode:' "$WORK/auto.log")"
grep -q 'cannot see the sockets of [0-9]* processes of other users' "$WORK/auto.log" ||
  fail "no word about what an unprivileged collector cannot see"
kill -TERM "$C"; wait "$C" || fail "unprivileged collector did not stop cleanly"
"$SOCKOWNER" stats --journal "$J" | grep -q 'mode     procfs — missing CAP_BPF' || fail "stats does not give the reason"

"${NOBODY[@]}" "$SOCKOWNER" collect --mode ebpf --journal "$J" --pin-dir "$PIN_DIR" >"$WORK/ebpf.log" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "--mode ebpf unprivileged exited $rc, expected 1"
grep -q -- '--mode ebpf: eBPF unavailable: missing CAP_BPF' "$WORK/ebpf.log" || fail "ebpf mode: $(cat "$WORK/ebpf.log")"
pass
