#!/usr/bin/env bash
# The collector (root) and the plugin are built hardened as Debian builds daemons:
# PIE, full RELRO (BIND_NOW), stack protector, _FORTIFY_SOURCE (whose checked calls
# show in the collector; the plugin may have none to check).
. "$TESTS_DIR/lib.sh"
need_cmd readelf
check() {  # check FILE KIND [fortify]
  local f=$1
  readelf -lW "$f" | grep -q GNU_RELRO || fail "$f: no RELRO"
  readelf -dW "$f" | grep -qE 'BIND_NOW|FLAGS.*NOW' || fail "$f: not BIND_NOW (partial RELRO)"
  readelf -hW "$f" | grep -q 'Type:.*DYN' || fail "$f: not position-independent"
  readelf -sW --dyn-syms "$f" | grep -q '__stack_chk_fail' || fail "$f: no stack protector"
  [ "${3:-}" != fortify ] || readelf -sW --dyn-syms "$f" | grep -qE '__[a-z_]+_chk@' || fail "$f: no _FORTIFY_SOURCE checks"
  echo "ok: $2 $f"
}
check "$SOCKOWNER" collector fortify
[ -n "${SOCKOWNER_PLUGIN:-}" ] && check "$SOCKOWNER_PLUGIN" plugin
pass
