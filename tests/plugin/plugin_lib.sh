# Helpers for the plugin's shell tests; source after lib.sh.
#
# tshark runs with the built plugin without touching the system: as root it drops to
# uid/gid 65534 (Wireshark ignores personal plugins when run as root), with a home in
# $WORK whose personal plugin folder holds a copy of the build; otherwise as the
# current user with that home. Files it reads must be readable by that user.

need_cmd tshark
[ -n "${SOCKOWNER_PLUGIN:-}" ] && [ -f "$SOCKOWNER_PLUGIN" ] ||
  fail "SOCKOWNER_PLUGIN is not set: configure with -DSOCKOWNER_PLUGIN=ON"

PLUGIN_HOME=$WORK/home       # personal plugin folder holds sockowner.so
BARE_HOME=$WORK/home-bare    # without it: tshark as it is without the plugin
WS_ABI=$(basename "$(pkg-config --variable=plugindir wireshark)")  # "4.0"
GLOBAL_PLUGIN=$(pkg-config --variable=plugindir wireshark)/epan/sockowner.so
mkdir -p "$PLUGIN_HOME/.local/lib/wireshark/plugins/$WS_ABI/epan" "$BARE_HOME"
# Loaded twice, the plugin would register its fields twice: use an installed copy only
# when it is this build.
if [ -e "$GLOBAL_PLUGIN" ]; then
  cmp -s "$GLOBAL_PLUGIN" "$SOCKOWNER_PLUGIN" ||
    fail "$GLOBAL_PLUGIN is not this build and would shadow it: remove it or run cmake --install"
  NO_PLUGIN_POSSIBLE=0
else
  cp "$SOCKOWNER_PLUGIN" "$PLUGIN_HOME/.local/lib/wireshark/plugins/$WS_ABI/epan/"
  NO_PLUGIN_POSSIBLE=1
fi
chmod -R a+rX "$WORK"

# as_tshark_user HOME COMMAND...: runs COMMAND as tshark's user with HOME. TSHARK_CAPS
# (e.g. "+net_raw,+net_admin") passes capabilities on for live capture.
as_tshark_user() {
  local home=$1; shift
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$WORK" && setpriv --reuid=65534 --regid=65534 --clear-groups \
      ${TSHARK_CAPS:+--inh-caps=$TSHARK_CAPS --ambient-caps=$TSHARK_CAPS} \
      env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$home" "$@")
  else
    (cd "$WORK" && env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$home" "$@")
  fi
}

tshark_plugin() { as_tshark_user "$PLUGIN_HOME" tshark "$@"; }
# tshark as it dissects without the plugin (with an installed copy: with proc disabled).
tshark_bare() {
  if [ "$NO_PLUGIN_POSSIBLE" -eq 1 ]; then
    as_tshark_user "$BARE_HOME" tshark "$@"
  else
    as_tshark_user "$BARE_HOME" tshark --disable-protocol proc "$@"
  fi
}

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
