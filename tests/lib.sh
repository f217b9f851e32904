# Shared helpers for the shell tests. Source it; $SOCKOWNER is the built binary.
set -u

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sockowner-$TEST_NAME-XXXXXX")
chmod 755 "$WORK"
CLEANUP_PIDS=()

cleanup() {
  local p
  for p in "${CLEANUP_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${CLEANUP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

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

# A free TCP/UDP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

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
  "$SOCKOWNER" collect --journal "$journal" "$@" >"$WORK/collector.log" 2>&1 &
  COLLECTOR_PID=$!
  CLEANUP_PIDS+=("$COLLECTOR_PID")
  wait_until 15 grep -q 'mode:' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "collector did not start"; }
}

stop_collector() {
  kill -TERM "$COLLECTOR_PID"
  wait "$COLLECTOR_PID"
  local rc=$?
  [ $rc -eq 0 ] || { cat "$WORK/collector.log" >&2; fail "collector exited with $rc after SIGTERM"; }
}
