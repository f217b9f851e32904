#!/usr/bin/env bash
# The packages as a Debian user meets them: built by scripts/package, installed with
# apt into a fresh Debian 12 (a copy, in an overlay, of a cached minbase chroot):
# `sockowner --help`, tshark lists the plugin, the man pages, the system user and the
# group wireshark, a unit that systemd-analyze verifies (its exposure score printed);
# then remove keeps only the configuration and the user, purge leaves nothing.
. "$TESTS_DIR/lib.sh"
need_root "chroot and packages"
need_cmd dpkg-buildpackage
need_cmd systemd-analyze
DIST=$WORK/dist
DIST_DIR=$DIST "$SOURCE_DIR/scripts/package" >"$WORK/package.log" 2>&1 || { cat "$WORK/package.log" >&2; fail "scripts/package"; }
host=$(. /etc/os-release && echo "$VERSION_CODENAME")
debs=("$DIST/$host"/sockowner_*.deb "$DIST/$host"/wireshark-sockowner_*.deb)
[ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] || fail "no packages in $DIST/$host: $(ls "$DIST/$host")"
lintian --allow-root --fail-on error "${debs[@]}" >"$WORK/lintian.txt" 2>&1 || { cat "$WORK/lintian.txt" >&2; fail "lintian errors"; }

"$SOURCE_DIR/scripts/ws-chroot" ensure "$host" >/dev/null || { rc=$?; [ $rc -eq 77 ] && skip "no $host chroot (mirror)"; fail "chroot"; }
LOWER=$("$SOURCE_DIR/scripts/ws-chroot" path "$host")
mkdir -p "$WORK/up" "$WORK/ow" "$WORK/root"
cp "${debs[@]}" "$WORK/"
cat >"$WORK/inside.sh" <<'IN'
set -eu
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends /pkgs/sockowner_*.deb /pkgs/wireshark-sockowner_*.deb tshark >/pkgs/apt.log 2>&1
sockowner --help >/dev/null
tshark -G plugins 2>/dev/null | grep -q 'sockowner\.so' || { echo "tshark does not list the plugin"; exit 1; }
for m in sockowner sockowner-collect sockowner-lookup sockowner-ls; do
  [ -f /usr/share/man/man1/$m.1.gz ] || { echo "no man page $m"; exit 1; }
done
getent group wireshark >/dev/null || { echo "no group wireshark"; exit 1; }
id -nG sockowner | grep -qw wireshark || { echo "sockowner is not in group wireshark"; exit 1; }
dpkg -L sockowner wireshark-sockowner | sort -u >/pkgs/files.txt
cp /lib/systemd/system/sockowner.service /pkgs/
apt-get remove -y -qq sockowner wireshark-sockowner >>/pkgs/apt.log 2>&1
left=$(while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done </pkgs/files.txt)
[ "$(printf '%s\n' $left | sort)" = "$(printf '%s\n' /etc/default/sockowner /etc/logrotate.d/sockowner)" ] ||
  { echo "after remove: $left"; exit 1; }
getent passwd sockowner >/dev/null || { echo "remove deleted the user"; exit 1; }
apt-get purge -y -qq sockowner >>/pkgs/apt.log 2>&1
left=$(while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done </pkgs/files.txt)
[ -z "$left" ] || { echo "after purge: $left"; exit 1; }
! getent passwd sockowner >/dev/null || { echo "purge kept the user"; exit 1; }
[ ! -e /var/lib/sockowner ] || { echo "purge kept /var/lib/sockowner"; exit 1; }
echo "inside: installed, checked, removed, purged"
IN
unshare --mount --propagation private -- bash -c '
  set -e
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/ow" "$2/root"
  mount -t proc proc "$2/root/proc"
  mount --rbind /dev "$2/root/dev"
  mkdir -p "$2/root/pkgs" && mount --bind "$2" "$2/root/pkgs"
  chroot "$2/root" bash /pkgs/inside.sh' install "$LOWER" "$WORK" >"$WORK/inside.log" 2>&1 ||
  { cat "$WORK/inside.log" "$WORK/apt.log" >&2; fail "in the $host chroot"; }
cat "$WORK/inside.log"

# The unit as installed: systemd verifies it, pointed at this build's binary (the
# man pages it names were checked in the chroot).
mkdir -p "$WORK/unit"
sed "s|/usr/bin/sockowner |$SOCKOWNER |" "$WORK/sockowner.service" >"$WORK/unit/sockowner.service"
systemd-analyze verify --man=no "$WORK/unit/sockowner.service" >"$WORK/verify.txt" 2>&1 ||
  { cat "$WORK/verify.txt" >&2; fail "systemd-analyze verify"; }
score=$(systemd-analyze security --offline=true "$WORK/unit/sockowner.service" 2>/dev/null |
  sed -n 's/.*Overall exposure level for sockowner.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no exposure score from systemd-analyze security"
echo "ok: the unit verifies; systemd-analyze security: exposure $score"
pass
