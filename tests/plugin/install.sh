#!/usr/bin/env bash
# cmake --install puts the plugin in Wireshark's global plugin folder and the
# "sockowner" profile in its global profiles (staged under DESTDIR here); the profile's
# Process columns, and the same columns given on the command line, show the owners.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd cmake

DESTDIR="$WORK/stage" cmake --install "$BUILD_DIR" >"$WORK/install.log" 2>&1 || fail "cmake --install: $(cat "$WORK/install.log")"
plugin="$WORK/stage$(pkg-config --variable=plugindir wireshark)/epan/sockowner.so"
profile="$WORK/stage$(pkg-config --variable=prefix wireshark)/share/wireshark/profiles/sockowner/preferences"
cmp -s "$plugin" "$SOCKOWNER_PLUGIN" || fail "plugin not installed as $plugin: $(cat "$WORK/install.log")"
[ -f "$profile" ] || fail "profile not installed as $profile: $(cat "$WORK/install.log")"

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
# Wireshark looks up profiles by name in the personal folder, then the global one.
mkdir -p "$PLUGIN_HOME/.config/wireshark/profiles/sockowner"
cp "$profile" "$PLUGIN_HOME/.config/wireshark/profiles/sockowner/"
chmod -R a+rX "$PLUGIN_HOME"
J=(-r fixture.pcap -o proc.journal:fixture.db)
COLS=(-T fields -e frame.number -e "_ws.col.Process (src)" -e "_ws.col.Process (dst)")
tshark_plugin -C sockowner "${J[@]}" "${COLS[@]}" >profile.txt 2>"$WORK/err.txt" ||
  fail "tshark -C sockowner: $(cat "$WORK/err.txt")"
grep -qxP '1\tcurl\tpython3' profile.txt || fail "frame 1 columns: $(head -1 profile.txt)"
grep -qxP '24\t\[kernel\]\tcurl' profile.txt || fail "frame 24 columns: $(sed -n 24p profile.txt)"
# An unknown side shows "?", never an empty column (tshark's text output drops those).
grep -qxP '9\tfirefox\t\?' profile.txt || fail "frame 9 columns: $(sed -n 9p profile.txt)"
grep -qxP '10\t\?\tfirefox' profile.txt || fail "frame 10 columns: $(sed -n 10p profile.txt)"
tshark_plugin -C sockowner "${J[@]}" -Y 'frame.number == 10' >summary.txt 2>/dev/null
grep -qP '^ *10 .*\?\s+firefox\s' summary.txt || fail "frame 10's summary line lacks its ? column: $(cat summary.txt)"
# The same columns without the profile, as README shows them for tshark.
format='gui.column.format:"No.","%m","Process (src)","%Cus:proc.src.label:0:R","Process (dst)","%Cus:proc.dst.label:0:R","Info","%i"'
tshark_plugin "${J[@]}" -o "$format" "${COLS[@]}" >option.txt 2>/dev/null || fail "tshark -o gui.column.format failed"
diff -u profile.txt option.txt || fail "-o gui.column.format shows other columns than the profile"
pass
