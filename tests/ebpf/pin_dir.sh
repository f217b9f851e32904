#!/usr/bin/env bash
# The pin directory is trusted (what is pinned there is reused as our programs and
# maps), so it must be one nobody else could write to: a directory another user
# created (with a planted link_so_* entry) or one writable by others is refused, with
# the reason, in --mode ebpf and in --mode auto (which falls back to procfs); a
# directory of ours readable by others is made 0700, so no one else can hold its lock;
# a collector that stops says its programs stay attached there, and how to detach them.
. "$TESTS_DIR/lib.sh"
need_root "chown and loading BPF programs"
J=$WORK/j.db

expect_refused() {  # expect_refused REASON
  : >"$WORK/collector.log"
  "$SOCKOWNER" collect --journal "$J" --pin-dir "$PIN_DIR" --mode ebpf >"$WORK/collector.log" 2>&1 &&
    fail "--mode ebpf started on a pin directory that $1"
  grep -q "eBPF unavailable: pin directory $PIN_DIR .*$1" "$WORK/collector.log" ||
    { cat "$WORK/collector.log" >&2; fail "no clear reason for a pin directory that $1"; }
  start_collector "$J"
  grep -q "mode: procfs (pin directory $PIN_DIR .*$1" "$WORK/collector.log" ||
    { cat "$WORK/collector.log" >&2; fail "--mode auto did not fall back with the reason"; }
  stop_collector
  [ -d "$PIN_DIR/link_so_sock_create" ] && [ -z "$(ls "$PIN_DIR" | grep -v '^link_so_sock_create$')" ] ||
    fail "something was pinned in a refused directory: $(ls "$PIN_DIR")"
}

mkdir -m 0755 "$PIN_DIR" && mkdir "$PIN_DIR/link_so_sock_create" || fail "cannot prepare $PIN_DIR"
chown -R 65534:65534 "$PIN_DIR"
expect_refused "belongs to uid 65534"
echo "ok: another user's directory, with a planted entry, refused"

chown -R 0:0 "$PIN_DIR"; chmod 0777 "$PIN_DIR"
expect_refused "is writable by group or others"
echo "ok: a world-writable directory refused"

rmdir "$PIN_DIR/link_so_sock_create"; chmod 0755 "$PIN_DIR"
start_ebpf_collector "$J"
stop_collector
[ "$(stat -c %a "$PIN_DIR")" = 700 ] || fail "pin directory left $(stat -c %a "$PIN_DIR")"
ls "$PIN_DIR" | grep -q '^link_so_sock_create$' || fail "nothing pinned in our own directory"
echo "ok: our directory, made 0700, used"
# Its programs stay attached when it stops (by design): it says so, and how to detach them.
grep -qF "kernel programs stay attached ($PIN_DIR), queueing events for the next start; 'sockowner cleanup --pin-dir $PIN_DIR' detaches them" \
  "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "the stop did not say the programs stay attached"; }
"$SOCKOWNER" cleanup --pin-dir "$PIN_DIR" >/dev/null || fail "cleanup failed"
echo "ok: the stop says the programs stay attached, and the command that detaches them"
pass
