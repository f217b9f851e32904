#!/usr/bin/env bash
# The plugin's package for another Debian release ($WS_CHROOT: trixie, Wireshark 4.4;
# sid, 4.6), built in that release's cached chroot (scripts/package, the plugin alone):
# it depends on that Wireshark's major.minor only, installs into that version's plugin
# folder, and that release's tshark loads it.
. "$TESTS_DIR/lib.sh"
need_root "chroot"
suite=${WS_CHROOT:?}
PROFILES=pkg.sockowner.plugin-only DIST_DIR=$WORK/dist "$SOURCE_DIR/scripts/package" "$suite" >"$WORK/package.log" 2>&1 ||
  { cat "$WORK/package.log" >&2; fail "scripts/package $suite"; }
deb=$(ls "$WORK/dist/$suite"/wireshark-sockowner_*.deb)
ver=$("$SOURCE_DIR/scripts/ws-chroot" run "$suite" -- pkg-config --modversion wireshark)
mm=${ver%.*}
next=${mm%.*}.$((${mm#*.} + 1))
dpkg -I "$deb" | grep -q "wireshark-common (>= $mm), wireshark-common (<< $next~)" ||
  fail "the $suite package does not depend on Wireshark $mm: $(dpkg -I "$deb" | grep Depends)"
dpkg -c "$deb" | grep -q "/wireshark/plugins/$mm/epan/sockowner.so" || fail "not in the $mm plugin folder: $(dpkg -c "$deb")"
LOWER=$("$SOURCE_DIR/scripts/ws-chroot" path "$suite")
mkdir -p "$WORK/up" "$WORK/ow" "$WORK/root"
cp "$deb" "$WORK/"
unshare --mount --propagation private -- bash -c '
  set -e
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/ow" "$2/root"
  mount -t proc proc "$2/root/proc"
  mkdir -p "$2/root/pkgs" && mount --bind "$2" "$2/root/pkgs"
  chroot "$2/root" sh -c "dpkg -i /pkgs/wireshark-sockowner_*.deb >/dev/null && tshark -G plugins" ' \
  plugin "$LOWER" "$WORK" >"$WORK/plugins.txt" 2>&1 || { cat "$WORK/plugins.txt" >&2; fail "install in $suite"; }
grep -q 'sockowner\.so' "$WORK/plugins.txt" || fail "tshark $ver does not load the installed plugin: $(cat "$WORK/plugins.txt")"
echo "ok: $suite's package for Wireshark $mm installs and loads"
pass
