#!/usr/bin/env bash
# A container id is named only under the cgroups container runtimes manage: a process
# in a cgroup whose name merely looks like docker's (a user's delegated subtree can
# create one) gets its cgroup path recorded and no container id; a process under the
# real docker root (/system.slice/docker-ID.scope) gets its id.
. "$TESTS_DIR/lib.sh"
need_root "creating cgroups"
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG" ] || skip "no cgroup2 mount"
ID=$(printf '%064x' $$)
SPOOF=/user.slice/sockowner-test-$$/docker-$ID.scope
REAL=/system.slice/docker-$ID.scope
made=()  # the slices this test creates, removed after it
for d in /user.slice /system.slice; do [ -d "$CG$d" ] || made+=("$CG$d"); done
for c in "$SPOOF" "$REAL"; do mkdir -p "$CG$c" || skip "cannot create cgroup $CG$c"; done
trap 'cleanup; rmdir "$CG$SPOOF" "$CG$REAL" "$CG/user.slice/sockowner-test-$$" "${made[@]}" 2>/dev/null' EXIT

J=$WORK/j.db
if [ "${COLLECT_MODE:-procfs}" = ebpf ]; then start_ebpf_collector "$J"; else start_collector "$J" --mode procfs --poll-interval 50; fi
in_cgroup() {  # in_cgroup CGROUP NAME: a process that moves itself there, then listens
  python3 - "$CG$1" "$2" "$WORK/$2.port" <<'PY' &
import os, socket, sys, time
with open(os.path.join(sys.argv[1], "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
with open(sys.argv[3], "w") as f:
    f.write(f"{s.getsockname()[1]}\n")
time.sleep(30)
PY
  CLEANUP_PIDS+=("$!")
}
in_cgroup "$SPOOF" so-spoof
in_cgroup "$REAL" so-docker
wait_until 5 test -s "$WORK/so-spoof.port" -a -s "$WORK/so-docker.port" || fail "processes did not start"
sleep 0.5
stop_collector
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl"
python3 - "$WORK/export.jsonl" "$SPOOF" "$REAL" "$ID" <<'PY' || fail "container ids"
import json, sys
rows = {d["name"]: d for d in map(json.loads, open(sys.argv[1])) if d["name"] in ("so-spoof", "so-docker")}
spoof, real = rows["so-spoof"], rows["so-docker"]
assert spoof["container"] == "" and spoof["cgroup"] == sys.argv[2], spoof
assert real["container"] == sys.argv[4] and real["cgroup"] == sys.argv[3], real
PY
echo "ok: the look-alike scope has no container id, the real one has it"
pass
