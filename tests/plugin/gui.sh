#!/usr/bin/env bash
# Wireshark's GUI (wireshark-qt, under Xvfb) opens the fixture with the "sockowner"
# profile: it loads this build's plugin, uses the profile, and Statistics › Processes
# is in its menu and opens the Processes table. The profile's Process columns are
# checked through the same configuration with tshark -C sockowner.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
. "$PLUGIN_TESTS_DIR/gui_lib.sh"
need_cmd import

make_fixture "$WORK"
prepare_gui_home
start_xvfb 1400 850
start_gui -C sockowner -o "proc.journal:$WORK/fixture.db" -r "$WORK/fixture.pcap"
main_window fixture.pcap

# The GUI process itself mapped this build's plugin, from the private folder only.
plugin_maps=$(grep -o '/[^ ]*sockowner\.so$' "/proc/$GUI_PID/maps" | sort -u)
[ "$plugin_maps" = "$GUI_HOME/plugins/$WS_ABI/epan/sockowner.so" ] ||
  fail "the GUI did not load $GUI_HOME/plugins/$WS_ABI/epan/sockowner.so (mapped: ${plugin_maps:-none}; $(tail -3 "$WORK/gui.log"))"

open_statistics_item '^Wireshark · Processes · fixture\.pcap$' ||
  { screenshot "$WORK/menu.png"; fail "no Statistics › Processes in the GUI's menu (KEEP_WORK=1 keeps menu.png)"; }

# Quit from the keyboard: the GUI then writes its state into the profile it used.
# A key pressed while the window is still taking the focus can be lost on a loaded
# machine: pressed again, as a user would, before giving up.
xdotool windowfocus --sync "$STATS" key Escape
sleep 0.5
quit_gui() { xdotool windowfocus --sync "$MAIN" key ctrl+q; wait_until "$1" bash -c "! kill -0 $GUI_PID 2>/dev/null"; }
quit_gui 10 || quit_gui 20 || fail "the GUI did not quit on Ctrl+Q (pressed twice)"
[ -f "$GUI_CONFIG/profiles/sockowner/recent" ] || fail "the GUI did not use the sockowner profile (no recent file in it)"
grep -q "WARNING\|CRITICAL" "$WORK/gui.log" && fail "the GUI complained: $(cat "$WORK/gui.log")"

# The profile's columns, as the GUI lays them out: tshark with the same configuration.
cd "$WORK" || fail "no $WORK"
as_tshark_user "$PLUGIN_HOME" env WIRESHARK_CONFIG_DIR="$GUI_CONFIG" tshark -C sockowner -r fixture.pcap \
  -o proc.journal:fixture.db -Y proc -T fields -e frame.number -e "_ws.col.Process (src)" -e "_ws.col.Process (dst)" \
  >columns.txt 2>err.txt || fail "tshark -C sockowner: $(cat err.txt)"
grep -qxP '1\tcurl\tpython3' columns.txt || fail "frame 1's Process columns: $(sed -n 1p columns.txt)"
grep -qxP '9\tfirefox\t\?' columns.txt || fail "frame 9's Process columns: $(sed -n 9p columns.txt)"
empty=$(awk -F'\t' '($2 == "" || $3 == "")' columns.txt)
[ -z "$empty" ] || fail "empty Process columns: $empty"
pass
