#!/usr/bin/env bash
# What the capture writer writes, Wireshark reads: tshark 4.0 (this host) and, as
# root where scripts/ws-chroot made them, 4.4 (trixie) and 4.6 (sid) read the copied
# and annotated fixtures without a word on stderr, show every packet with its own
# comments and the added one; 4.6 shows the Darwin process of the packets of
# little-endian sections; capinfos and editcap take them.
. "$TESTS_DIR/lib.sh"
need_cmd tshark
need_cmd capinfos
need_cmd editcap

"$CAPTURE_FIXTURES" "$WORK" || fail "make_capture_fixtures failed"
chmod -R a+rX "$WORK"

# tshark_in SUITE ARGS...: tshark here (SUITE host) or in the suite's chroot.
tshark_in() {
  local suite=$1; shift
  if [ "$suite" = host ]; then tshark "$@"; else "$SOURCE_DIR/scripts/ws-chroot" run "$suite" --bind "$WORK" -- tshark "$@"; fi
}

suites=(host)
if [ "$(id -u)" -eq 0 ]; then
  for s in trixie sid; do
    [ -x "$("$SOURCE_DIR/scripts/ws-chroot" path $s)/usr/bin/tshark" ] && suites+=("$s")
  done
fi

# check SUITE FILE PACKETS COMMENTED: the file reads cleanly, has PACKETS frames of which
# COMMENTED carry a comment starting "sockowner: pid".
check() {
  local suite=$1 file=$WORK/$2
  tshark_in "$suite" -r "$file" -T fields -e frame.number -e frame.comment >"$WORK/out.txt" 2>"$WORK/err.txt" ||
    fail "$suite: tshark cannot read $2: $(cat "$WORK/err.txt")"
  grep -v 'Running as user "root"' "$WORK/err.txt" >"$WORK/err2.txt"
  [ ! -s "$WORK/err2.txt" ] || fail "$suite: tshark complains about $2: $(head -5 "$WORK/err2.txt")"
  [ "$(wc -l <"$WORK/out.txt")" -eq "$3" ] || fail "$suite: $2 has $(wc -l <"$WORK/out.txt") packets, not $3"
  [ "$(grep -c 'sockowner: pid [0-9]*$' "$WORK/out.txt")" -eq "$4" ] || fail "$suite: $2: not $4 comments: $(head -3 "$WORK/out.txt")"
}

for suite in "${suites[@]}"; do
  for f in le_us be_ns modified; do
    check "$suite" "$f.annotated.pcapng" 20 20
    check "$suite" "$f.copy.pcapng" 20 0
  done
  # 8 frames: 6 packets, the custom block (Wireshark shows it as a frame) and the
  # simple packet block, which get no comment. The packets' own comments are kept,
  # before the added one.
  check "$suite" rich.annotated.pcapng 8 6
  grep -q $'^1\tfirst comment,second,sockowner: pid 1000$' "$WORK/out.txt" || fail "$suite: the first packet's comments: $(head -1 "$WORK/out.txt")"
  grep -q $'\tbig-endian,sockowner: pid' "$WORK/out.txt" || fail "$suite: the big-endian section's comment lost"
  check "$suite" rich.copy.pcapng 8 0
  tshark_in "$suite" -r "$WORK/rich.pcapng" -T fields -e frame.number -e frame.comment >"$WORK/in.txt" 2>/dev/null
  diff -u "$WORK/in.txt" "$WORK/out.txt" >&2 || fail "$suite: the plain copy of rich.pcapng reads differently"
  echo "$suite: $(tshark_in "$suite" --version 2>/dev/null | head -1)"
done

# Wireshark 4.6: the Darwin process of the packets of little-endian sections.
if [[ " ${suites[*]} " == *" sid "* ]]; then
  tshark_in sid -r "$WORK/le_us.annotated.pcapng" -Y 'frame.darwin.process_info.pname == "curl"' \
    -T fields -e frame.number -e frame.darwin.process_info.pid -e frame.darwin.process_info.pname >"$WORK/curl.txt" 2>"$WORK/err.txt" ||
    fail "sid: filter on frame.darwin failed: $(cat "$WORK/err.txt")"
  [ "$(printf '1\t1000\tcurl\n8\t1000\tcurl\n15\t1000\tcurl')" = "$(cat "$WORK/curl.txt")" ] ||
    fail "sid: the curl packets: $(cat "$WORK/curl.txt")"
  tshark_in sid -r "$WORK/rich.annotated.pcapng" -T fields -e frame.darwin.process_info.pid \
    -e frame.darwin.process_info.pname >"$WORK/rich.txt" 2>/dev/null
  # Frames 3 and 6 are not packets; 7 and 8 are of the big-endian section.
  [ "$(cut -f1 "$WORK/rich.txt" | tr '\n' ' ')" = "1000 1001  1002 1003    " ] ||
    fail "sid: the rich file's processes: $(tr '\n' ' ' <"$WORK/rich.txt")"
fi

for f in le_us.annotated rich.annotated be_ns.annotated; do
  capinfos "$WORK/$f.pcapng" >"$WORK/capinfos.txt" 2>&1 || fail "capinfos rejects $f: $(cat "$WORK/capinfos.txt")"
  editcap "$WORK/$f.pcapng" "$WORK/edited.pcapng" 2>"$WORK/err.txt" || fail "editcap rejects $f: $(cat "$WORK/err.txt")"
  [ ! -s "$WORK/err.txt" ] || fail "editcap complains about $f: $(cat "$WORK/err.txt")"
done
echo "checked with: ${suites[*]}"
pass
