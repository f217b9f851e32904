#!/usr/bin/env bash
# The service as its unit runs it, without systemd (PID 1 here is not): its command
# line, as a user that is not root, with exactly the unit's capability set (ambient,
# inheritable and bounding), its pin directory made as ExecStartPre makes it. The
# collector must run in eBPF mode and attribute curl's connection to http.server.
. "$TESTS_DIR/lib.sh"
need_root "setpriv to another user with capabilities"
need_cmd setpriv
need_cmd curl
# systemd mounts bpffs and tracefs before any unit starts; PID 1 here is not systemd
# (the collector, as root, mounts them itself; as this unit's user it may not).
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
  mount -t bpf -o mode=0700 bpf /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf and cannot mount it"
fi
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
  mount -t tracefs tracefs /sys/kernel/tracing || skip "no tracefs and cannot mount it"
fi
UNIT=$SOURCE_DIR/debian/sockowner.service
caps=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")
[ "$caps" = "$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")" ] || fail "ambient and bounding sets differ in the unit"
list=$(for c in $caps; do printf '+%s,' "$(echo "${c#CAP_}" | tr A-Z a-z)"; done)
list=${list%,}
args=$(sed -n 's/^ExecStart=[^ ]* //p' "$UNIT")
STATE=$WORK/state
mkdir -p "$STATE" "$PIN_DIR"
chown 65534:65534 "$STATE" "$PIN_DIR" && chmod 0700 "$PIN_DIR"
# The unit's arguments with this test's paths.
args=${args//\/var\/lib\/sockowner/$STATE}
args=${args//\/sys\/fs\/bpf\/sockowner/$PIN_DIR}
args=${args//\$SOCKOWNER_OPTIONS/--retain 7d --max-size 1G}
echo "as uid 65534 with $list: sockowner $args"

: >"$WORK/collector.log"
# shellcheck disable=SC2086
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="-all,$list" --ambient-caps="-all,$list" \
  --bounding-set="-all,$list" --no-new-privs "$SOCKOWNER" $args >>"$WORK/collector.log" 2>&1 &
COLLECTOR_PID=$!
CLEANUP_PIDS+=("$COLLECTOR_PID")
wait_until 20 grep -qE 'mode:' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "the collector did not start"; }
grep -q 'mode: ebpf' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "not in eBPF mode with the unit's capabilities"; }
grep -q 'no syscall tracepoints\|no sched_process' "$WORK/collector.log" &&
  { cat "$WORK/collector.log" >&2; fail "tracepoints unreachable with the unit's capabilities"; }

port=$(free_port)
(cd "$WORK" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
PY=$!; CLEANUP_PIDS+=("$PY")
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || fail "http.server did not start"
curl -s -o /dev/null "http://127.0.0.1:$port/" &
CURL=$!
wait "$CURL" || fail "curl failed"
sleep 0.5
stop_collector
J=$STATE/journal.db
"$SOCKOWNER" export --journal "$J" --port "$port" >"$WORK/export.jsonl"
python3 - "$WORK/export.jsonl" "$CURL" "$PY" "$port" <<'PY' || fail "curl's connection not attributed"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
curl, py, port = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = [r for r in rows if r["remote_port"] == port and r["pid"] == curl and r["name"] == "curl"]
server = [r for r in rows if r["local_port"] == port and r["remote_port"] != 0 and r["pid"] == py]
assert client and server, rows
assert all(r["source"] == "ebpf" for r in client + server), rows
PY
[ "$(stat -c %U:%a "$J")" = "nobody:640" ] || fail "journal $(stat -c %U:%a "$J"), expected the service user's, 0640"
echo "ok: eBPF mode and curl attributed with the unit's capabilities as uid 65534"
pass
