#!/usr/bin/env bash
# An upgrade replaces the programs an older build left attached, without a gap: the
# older build (sockowner_variant: five programs differ) runs and stops; while short
# connections keep opening, the new collector starts. It keeps the links whose program
# is the same, replaces the five others (new link first, then the old one goes), and
# every connection of the whole time is attributed. `stats` names the new build.
. "$TESTS_DIR/lib.sh"
[ -x "${SOCKOWNER_VARIANT:-}" ] || fail "SOCKOWNER_VARIANT (the older build) is not set"

J=$WORK/j.db
SOCKOWNER_SAVED=$SOCKOWNER
SOCKOWNER=$SOCKOWNER_VARIANT start_ebpf_collector "$J"
stop_collector
pinned_links | sort >"$WORK/old.txt"
[ "$(wc -l <"$WORK/old.txt")" -ge 10 ] || fail "the older build pinned $(wc -l <"$WORK/old.txt") links"

# Short connections from short-lived processes, every 20 ms for 3 s: before, during
# and after the new collector's start.
python3 - "$WORK/truth.txt" <<'PY' &
import os, socket, sys, threading, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(512)
threading.Thread(target=lambda: [srv.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
r, w = os.pipe()
end = time.time() + 3
while time.time() < end:
    if os.fork() == 0:
        c = socket.create_connection(srv.getsockname())
        os.write(w, f"{os.getpid()} {c.getsockname()[1]} {srv.getsockname()[1]} {time.time():.6f}\n".encode())
        c.close()
        os._exit(0)
    os.wait()
    time.sleep(0.02)
os.close(w)
with open(sys.argv[1] + ".tmp", "wb") as f:
    while chunk := os.read(r, 65536):
        f.write(chunk)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
PY
TRAFFIC=$!
CLEANUP_PIDS+=("$TRAFFIC")
sleep 1
SOCKOWNER=$SOCKOWNER_SAVED start_ebpf_collector "$J"
wait "$TRAFFIC" || fail "traffic generator failed"
sleep 0.5
stop_collector
pinned_links | sort >"$WORK/new.txt"

grep -q "replaced 5 programs of an older build without a gap: " "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "the older build's programs were not replaced"; }
# The three changed programs run a new program on a new link; the old programs are
# gone. The others kept their link and program.
changed=0
while read -r name id prog tag; do
  read -r _ nid nprog ntag < <(grep "^$name " "$WORK/new.txt")
  [ -n "$nid" ] || fail "$name: no link after the upgrade"
  case $name in
    link_so_sock_create | link_so_exec | link_so_send | link_so_recv | link_so_sock_release)
      [ "$ntag" != "$tag" ] && [ "$nprog" != "$prog" ] || fail "$name: still the older build's program ($tag)"
      ! bpftool prog show id "$prog" >/dev/null 2>&1 || fail "$name: the older program $prog is still loaded"
      changed=$((changed + 1)) ;;
    *)
      [ "$nid" = "$id" ] && [ "$nprog" = "$prog" ] || fail "$name: link $id/prog $prog became $nid/$nprog" ;;
  esac
done <"$WORK/old.txt"
[ "$changed" -eq 5 ] || fail "$changed changed programs seen, expected 5"
echo "ok: 5 programs replaced, $(($(wc -l <"$WORK/old.txt") - 5)) kept"

# No gap: every connection attributed to its process.
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl" || fail "export"
python3 - "$WORK/truth.txt" "$WORK/export.jsonl" <<'PY' || fail "connections lost across the upgrade"
import json, sys
owners = {(d["local_port"], d["remote_port"]): d["pid"] for d in map(json.loads, open(sys.argv[2]))
          if d["proto"] == "tcp"}
truth = [line.split() for line in open(sys.argv[1])]
missing = [t for t in truth if owners.get((int(t[1]), int(t[2]))) != int(t[0])]
for t in missing:
    print("missing:", *t, file=sys.stderr)
if len(truth) < 50 or missing:
    sys.exit(f"{len(missing)} of {len(truth)} connections not attributed")
print(f"ok: all {len(truth)} connections attributed")
PY

# stats: which build's programs ran in each run.
"$SOCKOWNER" stats --journal "$J" --json >"$WORK/stats.json"
read -r v1 v2 < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"]
print(r[-2]["version"].replace(" ", "_"), r[-1]["version"].replace(" ", "_"))' "$WORK/stats.json")
build=$(grep -o 'kernel programs: build [0-9a-f]*' "$WORK/collector.log" | tail -1 | awk '{print $4}')
[[ "$v2" == *"bpf_$build"* ]] || fail "the last run's version '$v2' does not name build $build"
[ "$v1" != "$v2" ] || fail "the older build's run has the same version: $v1"
echo "ok: runs name their builds ($v1, $v2)"
pass
