#!/usr/bin/env bash
# Another sockowner.so in Wireshark's global plugin folder (an earlier build left by
# `cmake --install`, or the package) changes nothing for the tests: they load this
# build's plugin alone. The other copy is put there only inside a private mount
# namespace (a copy of the folder mounted over it), so the system is not changed.
. "$TESTS_DIR/lib.sh"
need_root "mounting a folder over Wireshark's global plugin folder, in a private mount namespace"
need_cmd tshark
need_cmd unshare

global=$(pkg-config --variable=plugindir wireshark)/epan
[ -d "$global" ] || fail "no global plugin folder $global"
mkdir -p "$WORK/global"
cp -a "$global/." "$WORK/global/"
# A different build: the same code with other bytes at the end, so that it registers
# the same protocol (loaded twice, tshark stops at the duplicate) and compares unequal.
cp "$SOCKOWNER_PLUGIN" "$WORK/global/sockowner.so"
printf 'an earlier build' >>"$WORK/global/sockowner.so"
chmod -R a+rX "$WORK"

unshare --mount --propagation private -- bash -c '
  set -u
  global=$1 work=$2
  mount --bind "$work/global" "$global" || exit 3
  # The other copy is really there: tshark without the tests'"'"' environment loads it.
  setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$work" tshark -G plugins 2>&1 |
    grep -q "^sockowner\.so.*$global/sockowner.so" || exit 4
  for t in registration golden; do
    bash "$PLUGIN_TESTS_DIR/$t.sh" >"$work/$t.log" 2>&1 || { echo "$t"; exit 5; }
  done' shadowed "$global" "$WORK" >"$WORK/failed.txt"
rc=$?
case $rc in
  0) ;;
  3) fail "cannot mount over $global" ;;
  4) fail "the other sockowner.so in $global is not loaded by a plain tshark: the test proves nothing" ;;
  5) t=$(cat "$WORK/failed.txt"); fail "with another sockowner.so installed, $t.sh fails: $(tail -5 "$WORK/$t.log")" ;;
  *) fail "exit $rc" ;;
esac
pass
