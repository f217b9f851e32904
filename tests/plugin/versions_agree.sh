#!/usr/bin/env bash
# Wireshark 4.0 (this host), 4.4 (trixie chroot) and 4.6 (sid chroot) annotate the same
# captures and journals, made here, identically: every proc field of every packet, the
# Info tags, and the -z proc,tree table. Needs the ws44 and ws46 builds.
. "$TESTS_DIR/lib.sh"
need_root "tshark 4.4 and 4.6 run in chroots"
need_cmd python3

FIELDS=(-T fields -E header=y -e frame.number)
for side in src dst; do
  for f in name pid ppid uid user exe cmdline container source match; do FIELDS+=(-e "proc.$side.$f"); done
done

# annotate NAME: this version's answers for the fixture and a synthetic capture, in NAME.*.
annotate() {
  local out=$WORK/$1
  tshark_plugin -r fixture.pcap -o proc.journal:fixture.db "${FIELDS[@]}" >"$out.fixture.txt" 2>"$out.err" ||
    fail "$1: tshark failed: $(cat "$out.err")"
  tshark_plugin -r synthetic.pcap -o proc.journal:synthetic.db "${FIELDS[@]}" >"$out.synthetic.txt" 2>>"$out.err" ||
    fail "$1: tshark (synthetic) failed: $(cat "$out.err")"
  tshark_plugin -r fixture.pcap -o proc.journal:fixture.db | grep -o ' \[[^][]* → [^][]*\]$' >"$out.tags.txt" ||
    fail "$1: no Info tags"
  tshark_plugin -r fixture.pcap -o proc.journal:fixture.db -q -z proc,tree >"$out.stats.txt" 2>>"$out.err" ||
    fail "$1: tshark -z proc,tree failed"
  [ ! -s "$out.err" ] || fail "$1: tshark complained: $(cat "$out.err")"
  echo "$1: Wireshark $WS_ABI, $(wc -l <"$out.synthetic.txt") + $(wc -l <"$out.fixture.txt") lines"
}

versions=(host:"" trixie:ws44 sid:ws46)
for v in "${versions[@]}"; do
  suite=${v%%:*} label=${v#*:}
  if [ "$suite" = host ]; then
    unset WS_CHROOT
  else
    export WS_CHROOT=$suite WS_CHROOT_PLUGIN=$WS_BUILD_ROOT/$label/plugin/sockowner.so
  fi
  . "$PLUGIN_TESTS_DIR/plugin_lib.sh"
  if [ ! -f "$WORK/fixture.pcap" ]; then
    make_fixture "$WORK"
    # 2000 loopback TCP connections (8000 packets), port reuse across them.
    python3 "$SOURCE_DIR/bench/plugin_make_capture.py" 2000 "$WORK/synthetic.pcap"
    "$PLUGIN_JOURNAL_GEN" synthetic "$WORK/synthetic.db" 2000 100 || fail "plugin_journal_gen failed"
    chmod a+r "$WORK"/synthetic.*
  fi
  (cd "$WORK" && annotate "$suite")
done

cd "$WORK" || fail "no $WORK"
for what in fixture synthetic tags stats; do
  for suite in trixie sid; do
    diff -u "host.$what.txt" "$suite.$what.txt" >"diff.txt" ||
      fail "Wireshark 4.0 and the $suite chroot's annotate differently ($what): $(head -20 diff.txt)"
  done
done
[ "$(grep -c $'\tcurl\t' host.fixture.txt)" -gt 0 ] || fail "the fixture's annotation names no process"
pass
