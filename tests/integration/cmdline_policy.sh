#!/usr/bin/env bash
# Where /proc hides other users' processes (hidepid), the journal's readers could not
# read command lines there: the collector does not record them (and says so) unless
# --cmdline asks for them. Run in a mount namespace with its own /proc (hidepid=2).
. "$TESTS_DIR/lib.sh"
need_root "mounting /proc in a new mount namespace"
need_cmd unshare

run() {  # run JOURNAL [ARGS...]: the collector until it has recorded a listener, with hidepid=2 on /proc
  local j=$1; shift
  unshare -m --propagation private bash -c '
    mount -t proc -o hidepid=2 proc /proc || exit 77
    rm -f "$1.ready"
    python3 -c "import socket,sys,time; s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(); open(sys.argv[1], \"w\").close(); time.sleep(60)" "$1.ready" so-secret-arg & l=$!
    for _ in $(seq 100); do [ -e "$1.ready" ] && break; sleep 0.1; done  # listening (a loaded machine may take seconds)
    "$0" collect --journal "$1" --mode procfs --poll-interval 50 "${@:2}" & c=$!
    # Until the listener is in the journal (a loaded machine may take seconds), then stopped.
    for _ in $(seq 300); do "$0" export --journal "$1" 2>/dev/null | grep -q "\"name\":\"python3\"" && break; sleep 0.1; done
    kill -TERM $c; wait $c; rc=$?; kill $l; exit $rc' "$SOCKOWNER" "$j" "$@" >>"$WORK/collector.log" 2>&1
  local rc=$?
  [ $rc -eq 77 ] && skip "cannot mount a proc instance with hidepid here"
  [ $rc -eq 0 ] || { cat "$WORK/collector.log" >&2; fail "collector failed ($rc)"; }
}
run "$WORK/off.db"
grep -q "hides other users' processes (hidepid): command lines are not recorded" "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no word about command lines"; }
"$SOCKOWNER" export --journal "$WORK/off.db" | grep -q so-secret-arg && fail "a command line was recorded under hidepid"
"$SOCKOWNER" export --journal "$WORK/off.db" | grep -q '"name":"python3"' || fail "the process itself was not recorded"
run "$WORK/on.db" --cmdline
"$SOCKOWNER" export --journal "$WORK/on.db" | grep -q so-secret-arg || fail "--cmdline did not record command lines"
echo "ok: no command lines under hidepid unless --cmdline"
pass
