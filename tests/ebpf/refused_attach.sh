#!/usr/bin/env bash
# A start whose attach the kernel refuses leaves the kernel as it found it. The root
# cgroup takes at most 64 programs per hook: filling the sock_release hook with dummy
# programs makes the kernel refuse ours, after a dozen others attached.
#  1. Over an older build's pinned programs (sockowner_variant, whose sock_release
#     program differs, so the new build must attach its own): the start fails, the
#     older build's links stay pinned and attached as they were, nothing new remains.
#  2. With the hook free again, the same start replaces them.
#  3. From nothing: the start fails, nothing is pinned, no link of ours is left;
#     `--mode auto` falls back to procfs and says why.
. "$TESTS_DIR/lib.sh"
need_root "attaching BPF programs"
need_cmd clang
[ -x "${SOCKOWNER_VARIANT:-}" ] || fail "SOCKOWNER_VARIANT (the older build) is not set"
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG" ] || skip "no cgroup2 mount"

cat >"$WORK/dummy.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("cgroup/sock_release") int so_test_dummy(struct bpf_sock *sk) { return 1; }
EOF
clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" -c "$WORK/dummy.bpf.c" -o "$WORK/dummy.bpf.o" ||
  fail "cannot compile the dummy program"
DUMMIES=/sys/fs/bpf/sockowner-test-dummies-$$
mkdir -p "$DUMMIES"
unfill() {
  local p
  for p in "$DUMMIES"/d*; do
    [ -e "$p" ] || continue
    bpftool cgroup detach "$CG" cgroup_inet_sock_release pinned "$p" 2>/dev/null
    rm -f "$p"
  done
}
trap 'unfill; rmdir "$DUMMIES" 2>/dev/null; cleanup' EXIT
fill() {  # attach dummies until the hook holds 64 programs
  local have i
  have=$(bpftool cgroup show "$CG" | grep -c ' cgroup_inet_sock_release ')
  for ((i = have; i < 64; i++)); do
    bpftool prog load "$WORK/dummy.bpf.o" "$DUMMIES/d$i" &&
      bpftool cgroup attach "$CG" cgroup_inet_sock_release pinned "$DUMMIES/d$i" multi || fail "cannot attach dummy $i"
  done
}
# Links to programs loaded after PROG_ID: what a start made.
new_links() {
  bpftool link list -j | python3 -c '
import json, sys
print(sum(1 for l in json.load(sys.stdin) if l.get("prog_id", 0) > int(sys.argv[1])))' "$1"
}
max_prog() { bpftool prog list -j | python3 -c 'import json,sys; print(max([p["id"] for p in json.load(sys.stdin)] + [0]))'; }
refused_start() {  # refused_start MODE: the new build starts and is refused
  : >"$WORK/collector.log"
  "$SOCKOWNER" collect --journal "$J" --pin-dir "$PIN_DIR" --mode "$1" >>"$WORK/collector.log" 2>&1 &
  local pid=$!
  CLEANUP_PIDS+=("$pid")
  wait_until 20 grep -qE 'mode:|eBPF unavailable' "$WORK/collector.log" || fail "the collector said nothing"
  grep -q 'attach of cgroup/sock_release refused' "$WORK/collector.log" ||
    { cat "$WORK/collector.log" >&2; fail "the attach was not refused"; }
  if [ "$1" = ebpf ]; then
    wait "$pid" && fail "--mode ebpf succeeded although an attach was refused"
  else
    grep -q 'mode: procfs (attach of cgroup/sock_release refused' "$WORK/collector.log" ||
      { cat "$WORK/collector.log" >&2; fail "--mode auto did not fall back to procfs with the reason"; }
    kill -TERM "$pid"; wait "$pid"
  fi
}

J=$WORK/j.db
SOCKOWNER_SAVED=$SOCKOWNER
SOCKOWNER=$SOCKOWNER_VARIANT start_ebpf_collector "$J"
stop_collector
pinned_links | sort >"$WORK/old.txt"
ls "$PIN_DIR" | sort >"$WORK/old-pins.txt"

fill
before=$(max_prog)
refused_start ebpf
pinned_links | sort >"$WORK/after.txt"
diff -u "$WORK/old.txt" "$WORK/after.txt" || fail "the older build's links changed after a refused start"
ls "$PIN_DIR" | sort | diff -u "$WORK/old-pins.txt" - || fail "pins changed after a refused start"
[ "$(new_links "$before")" -eq 0 ] || fail "$(new_links "$before") links of the refused start are still attached"
echo "ok: a refused upgrade left the older build's $(wc -l <"$WORK/old.txt") links as they were"

unfill
SOCKOWNER=$SOCKOWNER_SAVED start_ebpf_collector "$J"
stop_collector
grep -q "replaced 5 programs of an older build" "$WORK/collector.log" || fail "the upgrade did not happen once the hook was free"
echo "ok: with the hook free, the upgrade went through"

"$SOCKOWNER" cleanup --pin-dir "$PIN_DIR" >/dev/null || fail "cleanup"
fill
before=$(max_prog)
refused_start ebpf
[ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ] || fail "pinned after a refused start: $(ls "$PIN_DIR")"
[ "$(new_links "$before")" -eq 0 ] || fail "$(new_links "$before") links of the refused start are still attached"
refused_start auto
[ -z "$(ls -A "$PIN_DIR" 2>/dev/null)" ] || fail "pinned after a refused start in auto mode: $(ls "$PIN_DIR")"
[ "$(new_links "$before")" -eq 0 ] || fail "links of the refused auto start are still attached"
echo "ok: from nothing, a refused start attached and pinned nothing"
pass
