# Wireshark's Qt GUI under a virtual X server, with this build's plugin and the
# "sockowner" profile; source after plugin_lib.sh. Used by gui.sh and
# scripts/gui-screenshot. As in plugin_lib.sh, the GUI runs unprivileged (uid 65534
# when root) with a private plugin folder, configuration and home under $WORK/gui,
# so that nothing installed is loaded and nothing on the system changes.

need_cmd wireshark
need_cmd Xvfb
need_cmd xauth
need_cmd xdotool
[ -z "${WS_CHROOT:-}" ] || skip "the GUI runs on the host only"

GUI_HOME=$WORK/gui
GUI_CONFIG=$GUI_HOME/.config/wireshark

# start_xvfb WIDTH HEIGHT: a virtual X server on a free display, reachable with a
# cookie only ($WORK/xauth). Sets and exports DISPLAY and XAUTHORITY.
start_xvfb() {
  local d
  for d in $(seq 90 199); do [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ] || break; done
  export DISPLAY=:$d XAUTHORITY=$WORK/xauth
  : >"$XAUTHORITY"
  xauth -f "$XAUTHORITY" add "$DISPLAY" . "$(mcookie)" || fail "xauth failed"
  chmod a+r "$XAUTHORITY"
  Xvfb "$DISPLAY" -auth "$XAUTHORITY" -nolisten tcp -screen 0 "${1}x${2}x24" >"$WORK/xvfb.log" 2>&1 &
  CLEANUP_PIDS+=("$!")
  wait_until 10 xdotool getmouselocation >/dev/null 2>&1 || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
}

# prepare_gui_home: the GUI's plugin folder (this build's plugin), and its
# configuration with the sockowner profile from the source tree, writable by its user.
prepare_gui_home() {
  mkdir -p "$GUI_CONFIG/profiles/sockowner" "$GUI_HOME/runtime"
  cp "$SOURCE_DIR/plugin/profile/preferences" "$GUI_CONFIG/profiles/sockowner/"
  cp -r "$PLUGIN_HOME/plugins" "$GUI_HOME/"
  chmod 700 "$GUI_HOME/runtime"
  [ "$(id -u)" -ne 0 ] || chown -R 65534:65534 "$GUI_HOME"
}

# start_gui ARGS...: wireshark ARGS in the background, as tshark's user, logging to
# $WORK/gui.log. Sets GUI_PID (the wireshark process itself).
start_gui() {
  local env=(env -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME HOME="$GUI_HOME"
             WIRESHARK_CONFIG_DIR="$GUI_CONFIG" WIRESHARK_PLUGIN_DIR="$GUI_HOME/plugins"
             XDG_RUNTIME_DIR="$GUI_HOME/runtime" DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY")
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$WORK" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "${env[@]}" wireshark "$@") \
      >"$WORK/gui.log" 2>&1 &
  else
    (cd "$WORK" && exec "${env[@]}" wireshark "$@") >"$WORK/gui.log" 2>&1 &
  fi
  GUI_PID=$!
  CLEANUP_PIDS+=("$GUI_PID")
}

# gui_window TITLE-REGEX: the id of the visible window whose title matches, or nothing.
gui_window() { xdotool search --onlyvisible --name "$1" 2>/dev/null | head -1; }

# main_window FILE: waits for the main window showing FILE, places it at the top left
# at the screen's size and gives it the focus (there is no window manager). Sets MAIN.
main_window() {
  wait_until 60 bash -c "xdotool search --onlyvisible --name '^$1\$' >/dev/null 2>&1" ||
    fail "no Wireshark window for $1 within 60 s: $(tail -5 "$WORK/gui.log")"
  MAIN=$(gui_window "^$1\$")
  local geometry
  geometry=$(xdotool getdisplaygeometry)
  xdotool windowmove "$MAIN" 0 0 windowsize "$MAIN" ${geometry% *} ${geometry#* } windowfocus --sync "$MAIN"
  sleep 1  # the packet list is laid out again for the new size
}

# open_statistics_item TITLE-REGEX: opens the Statistics menu and tries its items from
# the last one up (plugins' statistics come last), until a window whose title matches
# opens; fails after two rounds of 12 items. The menu is driven with the keyboard, as a user could.
# Keys sent before the menu is up go elsewhere: on a loaded machine (a parallel ctest)
# a second round waits three times as long for the menu and each item.
open_statistics_item() {
  local up pause
  for pause in 0.5 1.5; do
    for up in $(seq 1 12); do
      xdotool windowfocus --sync "$MAIN" key alt+s
      sleep "$pause"
      xdotool key --repeat "$up" --delay 50 Up
      xdotool key Return
      if wait_until 3 bash -c "xdotool search --onlyvisible --name '$1' >/dev/null 2>&1"; then
        STATS=$(gui_window "$1")
        return 0
      fi
      # Another dialog opened (or none): close it and try the item above.
      local w
      for w in $(xdotool search --onlyvisible --name '^Wireshark · ' 2>/dev/null); do
        xdotool windowfocus --sync "$w" key Escape 2>/dev/null
      done
      sleep "$pause"
    done
  done
  return 1
}

# screenshot FILE: the whole virtual screen as PNG.
screenshot() { import -window root "$1" || fail "screenshot failed"; }
