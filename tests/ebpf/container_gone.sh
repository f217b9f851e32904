#!/usr/bin/env bash
# A process in a container's cgroup that connects and exits before /proc could be
# read still gets its container id: the kernel recorded its cgroup id, which the
# collector resolves to the cgroup's path. The collector is stopped (SIGSTOP) while
# the process lives, so /proc has nothing left to tell when it reads the event.
. "$TESTS_DIR/lib.sh"
need_root "creating cgroups and loading BPF programs"
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || skip "no cgroup v2 mounted"
id=$(printf '%064x' "$$")  # 64 hex digits, as docker names its scopes
CG=$cg2/system.slice  # where docker (systemd driver) puts its containers' scopes
made_slice=""; [ -d "$CG" ] || made_slice=1
mkdir -p "$CG/docker-$id.scope" || skip "cannot create a cgroup under $cg2"
trap 'cleanup; rmdir "$CG/docker-$id.scope" 2>/dev/null; [ -z "$made_slice" ] || rmdir "$CG" 2>/dev/null' EXIT

J=$WORK/j.db
start_ebpf_collector "$J"
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$WORK/port" &
CLEANUP_PIDS+=($!)
wait_until 5 test -s "$WORK/port" || fail "listener"
port=$(cat "$WORK/port")
kill -STOP "$COLLECTOR_PID"
python3 - "$CG/docker-$id.scope/cgroup.procs" "$port" "$WORK/child" <<'PY'
import os, socket, sys
with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
with open("/proc/self/comm", "w") as f:
    f.write("so-in-container")
c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
with open(sys.argv[3], "w") as f:
    print(os.getpid(), c.getsockname()[1], file=f)
PY
kill -CONT "$COLLECTOR_PID"
read -r pid cport <"$WORK/child"
[ ! -d "/proc/$pid" ] || fail "the child still runs"
sleep 0.5
stop_collector
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl"
python3 - "$WORK/export.jsonl" "$pid" "$cport" "$id" <<'PY' || fail "container id not resolved"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in rows if r["pid"] == int(sys.argv[2]) and r["local_port"] == int(sys.argv[3])]
assert mine, "no interval for the child's connection"
r = mine[0]
print(r["name"], r["container"])
assert r["name"] == "so-in-container", r
assert r["container"] == sys.argv[4], r
PY
"$SOCKOWNER" stats --journal "$J" | grep -q 'process.cgroup_from_id *[1-9]' || fail "cgroup_from_id not counted"
pass
