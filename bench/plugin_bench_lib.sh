# Shared by the plugin benchmarks: sourced with $here (bench/), $build and $runs set, it
# checks the build, sets up the tests' tshark homes ($WORK, $PLUGIN_HOME, $BARE_HOME)
# and $gen, the journal generator (another when $gen is set before). Those that time
# with hyperfine need it; set no_hyperfine=1 before sourcing otherwise.
export SOCKOWNER_PLUGIN=$build/plugin/sockowner.so PLUGIN_TESTS_DIR=$here/../tests/plugin TESTS_DIR=$here/../tests
export SOURCE_DIR=${SOURCE_DIR:-$(cd "$here/.." && pwd)}
gen=${gen:-$build/tests/plugin/plugin_journal_gen}
[ -f "$SOCKOWNER_PLUGIN" ] && [ -x "$gen" ] || { echo "build with -DSOCKOWNER_PLUGIN=ON first" >&2; exit 1; }
[ -n "${no_hyperfine:-}" ] || command -v hyperfine >/dev/null || { echo "hyperfine not installed" >&2; exit 1; }
set +u
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
set -u

# tshark_cmd HOME ARGS...: the command line hyperfine runs (tshark's user, that home;
# with WS_CHROOT=trixie|sid and WS_CHROOT_PLUGIN, that release's tshark in its chroot,
# which adds ~0.1 s a run to both sides).
tshark_cmd() {
  local home=$1; shift
  if [ -n "${WS_CHROOT:-}" ]; then
    echo "${WS_CHROOT_CMD[*]} env $(tshark_env "$home") tshark $* >/dev/null"
    return
  fi
  local drop=""
  [ "$(id -u)" -eq 0 ] && drop="setpriv --reuid=65534 --regid=65534 --clear-groups"
  echo "cd $WORK && $drop env $(tshark_env "$home") tshark $* >/dev/null"
}
# interleaved OUT -n NAME CMD ...: one warm-up round, then RUNS rounds of one run of
# each command, in alternating order, so that other load on the machine while the
# benchmark runs falls on all of them alike (hyperfine alone runs all of one command,
# then all of the next). Writes OUT.json with each command's median, as hyperfine does.
interleaved() {
  local out=$1 i j; shift
  local fwd=("$@") rev=()
  for ((j = ${#fwd[@]} - 3; j >= 0; j -= 3)); do rev+=("${fwd[@]:j:3}"); done
  for ((i = 0; i <= runs; i++)); do
    if ((i % 2)); then set -- "${rev[@]}"; else set -- "${fwd[@]}"; fi
    hyperfine --runs 1 --export-json "$out.$i.json" "$@" >/dev/null
  done
  python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
order = [r["command"] for r in json.load(open(f"{out}.0.json"))["results"]]  # round 0: the warm-up
times = {c: [] for c in order}
for i in range(1, runs + 1):
    for r in json.load(open(f"{out}.{i}.json"))["results"]:
        times[r["command"]].extend(r["times"])
json.dump({"results": [{"command": c, "median": statistics.median(times[c]), "times": times[c]} for c in order]},
          open(out + ".json", "w"))
PY
}
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }
# peak_rss HOME ARGS...: tshark's peak resident memory in KiB.
peak_rss() { /usr/bin/time -f %M sh -c "$(tshark_cmd "$@")" 2>&1 | tail -1; }
