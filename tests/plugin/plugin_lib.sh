# Helpers for the plugin's shell tests; source after lib.sh.
#
# tshark runs with the plugin this build made, whatever else is installed: its global
# plugin folder is replaced by a private one holding only that plugin
# (WIRESHARK_PLUGIN_DIR), its configuration by a private, empty one
# (WIRESHARK_CONFIG_DIR), its home by one in $WORK (no personal plugins). Wireshark
# honours those variables only for unprivileged users: as root tshark drops to
# uid/gid 65534. Files it reads must be readable by that user. Nothing on the system
# changes, and an installed sockowner.so (an earlier build, a package) is never loaded.
#
# With WS_CHROOT=SUITE (trixie, sid), tshark is that Debian release's, run in the
# chroot scripts/ws-chroot made, with $WORK mounted at the same path; SOCKOWNER_PLUGIN
# is then WS_CHROOT_PLUGIN, the plugin built in that chroot.

if [ -n "${WS_CHROOT:-}" ]; then
  need_root "tshark runs in the $WS_CHROOT chroot"
  [ -f "$("$SOURCE_DIR/scripts/ws-chroot" path "$WS_CHROOT")/.sockowner-ci-stamp" ] ||
    skip "no $WS_CHROOT chroot: its ws-chroot test could not make one (see its output)"
  SOCKOWNER_PLUGIN=${WS_CHROOT_PLUGIN:?WS_CHROOT_PLUGIN names the plugin built in the chroot}
  [ -f "$SOCKOWNER_PLUGIN" ] || fail "no $SOCKOWNER_PLUGIN: the $WS_CHROOT build test makes it"
  WS_CHROOT_CMD=("$SOURCE_DIR/scripts/ws-chroot" run "$WS_CHROOT" --bind "$WORK" --user 65534 --chdir "$WORK" --)
else
  [ -n "${SOCKOWNER_PLUGIN:-}" ] && [ -f "$SOCKOWNER_PLUGIN" ] ||
    fail "SOCKOWNER_PLUGIN is not set: configure with -DSOCKOWNER_PLUGIN=ON"
  need_cmd tshark
fi

PLUGIN_HOME=$WORK/home       # its plugin folder holds this build's sockowner.so
BARE_HOME=$WORK/home-bare    # its plugin folder is empty: tshark as it is without the plugin
mkdir -p "$PLUGIN_HOME/.config/wireshark" "$BARE_HOME/.config/wireshark" "$BARE_HOME/plugins"
chmod -R a+rX "$WORK"

# tshark_env HOME: the environment of tshark's runs with that home (its plugin folder
# and configuration below it).
tshark_env() {
  echo "HOME=$1" "WIRESHARK_CONFIG_DIR=$1/.config/wireshark" "WIRESHARK_PLUGIN_DIR=$1/plugins"
}

# as_tshark_user HOME COMMAND...: runs COMMAND as tshark's user with HOME. TSHARK_CAPS
# (e.g. "+net_raw,+net_admin") passes capabilities on for live capture.
as_tshark_user() {
  local home=$1; shift
  local env=(env -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME $(tshark_env "$home"))
  if [ -n "${WS_CHROOT:-}" ]; then
    "${WS_CHROOT_CMD[@]}" "${env[@]}" "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    (cd "$WORK" && setpriv --reuid=65534 --regid=65534 --clear-groups \
      ${TSHARK_CAPS:+--inh-caps=$TSHARK_CAPS --ambient-caps=$TSHARK_CAPS} "${env[@]}" "$@")
  else
    (cd "$WORK" && "${env[@]}" "$@")
  fi
}

# The major.minor of the tshark the tests run ("4.0"): the plugin's folder is named after it.
WS_ABI=$(as_tshark_user "$BARE_HOME" tshark --version 2>/dev/null | sed -n '1s/.*(Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$WS_ABI" ] || fail "cannot tell tshark's version: $(as_tshark_user "$BARE_HOME" tshark --version 2>&1 | head -3)"
mkdir -p "$PLUGIN_HOME/plugins/$WS_ABI/epan"
cp "$SOCKOWNER_PLUGIN" "$PLUGIN_HOME/plugins/$WS_ABI/epan/"
chmod -R a+rX "$PLUGIN_HOME"

tshark_plugin() { as_tshark_user "$PLUGIN_HOME" tshark "$@"; }
# tshark as it dissects without the plugin.
tshark_bare() { as_tshark_user "$BARE_HOME" tshark "$@"; }

# make_fixture DIR: the fixture capture and journal, readable by tshark's user.
make_fixture() {
  python3 "$PLUGIN_TESTS_DIR/make_fixture_pcap.py" "$1/fixture.pcap" || fail "make_fixture_pcap.py failed"
  "$PLUGIN_JOURNAL_GEN" fixture "$1/fixture.db" || fail "plugin_journal_gen failed"
  chmod a+r "$1"/fixture.*
}

# start_capture_collector JOURNAL: the collector of the capture tests, in
# $COLLECT_MODE (procfs, the default, or ebpf), with a journal tshark's user can read.
start_capture_collector() {
  if [ "${COLLECT_MODE:-procfs}" = ebpf ]; then
    start_ebpf_collector "$1"
  else
    start_collector "$1" --mode procfs --poll-interval 100
  fi
  chmod a+r "$1" "$1-wal" "$1-shm" || fail "journal files missing"
}

# start_http_server PORT: python's http.server on 127.0.0.1:PORT serving $WORK/www/blob,
# much larger than what curl 7.88 takes in its first, unthrottled burst. Sets PY.
start_http_server() {
  mkdir -p "$WORK/www" && truncate -s 64M "$WORK/www/blob"
  (cd "$WORK/www" && exec python3 -m http.server "$1" --bind 127.0.0.1 >/dev/null 2>&1) &
  PY=$!
  CLEANUP_PIDS+=("$PY")
  wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null || fail "http.server did not start"
}

# start_udp_exchange PORT SECONDS: a UDP server answering each datagram for SECONDS,
# a client sending one every 100 ms for 1.5 s. Sets UDP_SERVER and UDP_CLIENT.
start_udp_exchange() {
  python3 "$PLUGIN_TESTS_DIR/udp_echo.py" server "$1" "$2" &
  UDP_SERVER=$!
  CLEANUP_PIDS+=("$UDP_SERVER")
  python3 "$PLUGIN_TESTS_DIR/udp_echo.py" client "$1" &
  UDP_CLIENT=$!
  CLEANUP_PIDS+=("$UDP_CLIENT")
}

# start_download PORT: a rate-limited curl download of the blob. Sets CURL.
start_download() {
  curl -s --limit-rate 1M -o /dev/null "http://127.0.0.1:$1/blob" &
  CURL=$!
  CLEANUP_PIDS+=("$CURL")
}
