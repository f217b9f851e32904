#!/usr/bin/env bash
# Builds the plugin in the $WS_CHROOT chroot (scripts/ws-chroot), against that Debian
# release's Wireshark, into $WS_BUILD_DIR: the ws44/ws46 tests then load it with that
# release's tshark. Only the plugin and what it links are built; without warnings.
. "$TESTS_DIR/lib.sh"
need_root "the build runs in the $WS_CHROOT chroot"
[ -n "${WS_BUILD_DIR:-}" ] || fail "WS_BUILD_DIR is not set"
chroot_dir=$("$SOURCE_DIR/scripts/ws-chroot" path "$WS_CHROOT")
[ -f "$chroot_dir/.sockowner-ci-stamp" ] || skip "no $WS_CHROOT chroot: see the output of its ws-chroot test"
mkdir -p "$WS_BUILD_DIR"
binds=(--bind "$SOURCE_DIR" --bind "$WS_BUILD_DIR")
"$SOURCE_DIR/scripts/ws-chroot" run "$WS_CHROOT" "${binds[@]}" -- sh -c '
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCKOWNER_EBPF=OFF -DSOCKOWNER_TESTS=OFF >"$2/configure.log" 2>&1 ||
    { cat "$2/configure.log"; exit 1; }
  cmake --build "$2" -j"$(nproc)" --target sockowner_plugin >"$2/build.log" 2>&1 || { cat "$2/build.log"; exit 1; }
  grep -i "warning" "$2/build.log" && exit 2
  exit 0' build "$SOURCE_DIR" "$WS_BUILD_DIR" >"$WORK/out.txt" 2>&1
rc=$?
[ $rc -ne 2 ] || fail "warnings building against $WS_CHROOT's Wireshark: $(cat "$WORK/out.txt")"
[ $rc -eq 0 ] || fail "build in the $WS_CHROOT chroot failed: $(tail -20 "$WORK/out.txt")"
grep -o 'for Wireshark [0-9.]* ([^)]*)' "$WS_BUILD_DIR/configure.log" | head -1
[ -f "$WS_BUILD_DIR/plugin/sockowner.so" ] || fail "no $WS_BUILD_DIR/plugin/sockowner.so"
pass
