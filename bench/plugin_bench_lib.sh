# Shared by the plugin benchmarks: sourced with $here (bench/), $build and $runs set, it
# checks the build, sets up the tests' tshark homes ($WORK, $PLUGIN_HOME, $BARE_HOME)
# and $gen, the journal generator (another when $gen is set before). Those that time
# with hyperfine need it; set no_hyperfine=1 before sourcing otherwise.
export SOCKOWNER_PLUGIN=$build/plugin/sockowner.so PLUGIN_TESTS_DIR=$here/../tests/plugin TESTS_DIR=$here/../tests
export SOURCE_DIR=${SOURCE_DIR:-$(cd "$here/.." && pwd)}
gen=${gen:-$build/tests/plugin/plugin_journal_gen}
[ -f "$SOCKOWNER_PLUGIN" ] && [ -x "$gen" ] || { echo "build with -DSOCKOWNER_PLUGIN=ON first" >&2; exit 1; }
[ -n "${no_hyperfine:-}" ] || command -v hyperfine >/dev/null || { echo "hyperfine not installed" >&2; exit 1; }
. "$here/interleaved_lib.sh"
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
# peak_rss HOME ARGS...: tshark's peak resident memory in KiB.
peak_rss() { /usr/bin/time -f %M sh -c "$(tshark_cmd "$@")" 2>&1 | tail -1; }
