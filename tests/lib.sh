# Shared helpers for the shell tests. Source it; $SOCKOWNER is the built binary.
set -u

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sockowner-$TEST_NAME-XXXXXX")
chmod 755 "$WORK"
CLEANUP_PIDS=()

# Each test pins its programs in a directory of its own and removes them at exit, so
# that tests neither share state nor disturb a collector the machine may be running.
PIN_DIR=/sys/fs/bpf/sockowner-test-$TEST_NAME-$$

cleanup() {
  local p
  # Every step may fail (a process gone already) without cutting the cleanup short.
  for p in "${CLEANUP_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${CLEANUP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -d "$PIN_DIR" ]; then "$SOCKOWNER" cleanup --pin-dir "$PIN_DIR" >/dev/null 2>&1 || true; fi
  for p in "${CLEANUP_MOUNTS[@]}"; do umount -l "$p" 2>/dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
CLEANUP_MOUNTS=()

# small_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 2m) at DIR, unmounted at exit; skips the
# test where it cannot be mounted.
small_tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o size="$2" tmpfs "$1" || skip "cannot mount tmpfs"
  CLEANUP_MOUNTS+=("$1")
}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
pass() { echo "PASS: $TEST_NAME"; exit 0; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root ($1)"; }
need_cmd() { command -v "$1" >/dev/null || skip "$1 not installed"; }

# wait_until SECONDS COMMAND...: retry every 50 ms until COMMAND succeeds.
wait_until() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# has_lines FILE N: FILE exists and has at least N lines (for wait_until).
has_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# A free TCP/UDP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# json_fields FILE KEY...: the keys' values of the single JSON object in FILE, one line.
json_fields() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(d[k]) for k in sys.argv[2:]))' "$@"; }

# run_counters JOURNAL NAME...: the named counters of the journal's last run, one line.
run_counters() {
  "$SOCKOWNER" stats --journal "$1" --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["runs"][-1]["counters"]
print(" ".join(str(c[k]) for k in sys.argv[1:]))' "${@:2}"
}

# json_get FILE KEY: a key of the single JSON object in FILE.
json_get() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("" if v is None else v)' "$1" "$2"; }

# Every line of FILE is a JSON object.
all_lines_json() {
  python3 -c '
import json, sys
n = 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    assert isinstance(json.loads(line), dict), line
print(n)' "$1"
}

# start_collector JOURNAL ARGS...: runs `sockowner collect` in the background, logging
# to $WORK/collector.log; sets COLLECTOR_PID and waits for its "mode:" line.
start_collector() {
  local journal=$1; shift
  "$SOCKOWNER" collect --journal "$journal" --pin-dir "$PIN_DIR" "$@" >>"$WORK/collector.log" 2>&1 &
  COLLECTOR_PID=$!
  CLEANUP_PIDS+=("$COLLECTOR_PID")
  wait_until 15 grep -q 'mode:' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "collector did not start"; }
}

# start_ebpf_collector JOURNAL ARGS...: as start_collector in --mode ebpf. Skips the
# test (exit 77) where privileges or the kernel forbid eBPF, and fails where eBPF
# should work but does not (a program the verifier refuses is a bug, not a skip).
start_ebpf_collector() {
  need_root "loading BPF programs"
  : >"$WORK/collector.log"
  "$SOCKOWNER" collect --journal "$1" --pin-dir "$PIN_DIR" --mode ebpf "${@:2}" >>"$WORK/collector.log" 2>&1 &
  COLLECTOR_PID=$!
  CLEANUP_PIDS+=("$COLLECTOR_PID")
  wait_until 20 grep -qE 'mode:|eBPF unavailable' "$WORK/collector.log"
  if grep -q 'eBPF unavailable' "$WORK/collector.log"; then
    local why; why=$(grep -o 'eBPF unavailable: .*' "$WORK/collector.log")
    case "$why" in
      *missing\ CAP*|*"no BTF"*|*"no cgroup v2"*|*"no bpffs"*) skip "$why" ;;
      *) fail "$why" ;;
    esac
  fi
  grep -q 'mode: ebpf' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "collector did not start in eBPF mode"; }
}

# start_dumpcap FILTER: dumpcap capturing loopback packets that match FILTER (a capture
# filter) into $WORK/cap.pcapng, running once it says so; stop_dumpcap ends it, the
# file then complete.
start_dumpcap() {
  dumpcap -i lo -s 256 -f "$1" -w "$WORK/cap.pcapng" >"$WORK/dumpcap.log" 2>&1 &
  DUMPCAP=$!
  CLEANUP_PIDS+=("$DUMPCAP")
  wait_until 10 grep -q "Capturing on" "$WORK/dumpcap.log" || fail "dumpcap did not start: $(cat "$WORK/dumpcap.log")"
}
stop_dumpcap() {
  kill -TERM "$DUMPCAP"
  wait "$DUMPCAP"
}

# The journal's intervals as "proto local_addr:local_port remote_addr:remote_port pid name source" lines.
intervals() {
  "$SOCKOWNER" export --journal "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    print(d["proto"], "%s:%s" % (d["local_addr"], d["local_port"]), "%s:%s" % (d["remote_addr"], d["remote_port"]),
          d["pid"], d["name"], d["source"], "closed" if d["closed"] else "open")'
}

# udp_recorded TRUTH JOURNAL...: every "PID PORT" line of TRUTH (UDP sockets a test
# opened) has an interval of that pid and local port in one of the journals; a
# collector polling /proc every 20 ms may miss one in twenty. Prints the count.
udp_recorded() {
  local truth=$1 j; shift
  : >"$WORK/recorded.jsonl"
  for j in "$@"; do "$SOCKOWNER" export --journal "$j" >>"$WORK/recorded.jsonl" || return 1; done
  python3 - "$truth" "$WORK/recorded.jsonl" <<'PY'
import json, sys
seen = {(d["pid"], d["local_port"]) for d in map(json.loads, open(sys.argv[2])) if d["proto"] == "udp"}
truth = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
missing = [t for t in truth if t not in seen]
print(f"{len(truth) - len(missing)} of {len(truth)} sockets recorded")
sys.exit(1 if len(missing) > len(truth) // 20 else 0)
PY
}

# pinned_links: "NAME LINK_ID PROG_ID TAG" for every link pinned under $PIN_DIR.
pinned_links() {
  local l id prog
  for l in "$PIN_DIR"/link_*; do
    [ -e "$l" ] || continue
    read -r id prog < <(bpftool link show pinned "$l" | sed -n 's/^\([0-9]*\):.* prog \([0-9]*\).*/\1 \2/p')
    echo "$(basename "$l") $id $prog $(bpftool prog show id "$prog" | sed -n 's/.* tag \([0-9a-f]*\).*/\1/p')"
  done
}

stop_collector() {
  kill -TERM "$COLLECTOR_PID"
  wait "$COLLECTOR_PID"
  local rc=$?
  [ $rc -eq 0 ] || { cat "$WORK/collector.log" >&2; fail "collector exited with $rc after SIGTERM"; }
}
