#!/usr/bin/env bash
# tshark with the plugin built with ASan+UBSan ($BUILD_DIR/sanitize, made by
# sanitize.build; libasan preloaded) over malformed captures: mutations of the fixture
# capture (mutate_capture.py, a new seed each run: TSHARK_FUZZ_SEED repeats one) and
# timestamps beyond what TimeNs holds, against the fixture journal and one of odd
# values. Fails on any sanitizer report or abnormal exit; keeps the capture.
. "$TESTS_DIR/lib.sh"
S=$BUILD_DIR/sanitize
export SOCKOWNER_PLUGIN=$S/plugin/sockowner.so PLUGIN_JOURNAL_GEN=$S/tests/plugin/plugin_journal_gen
export PLUGIN_TESTS_DIR=$TESTS_DIR/plugin
[ -f "$SOCKOWNER_PLUGIN" ] && [ -x "$PLUGIN_JOURNAL_GEN" ] || fail "$S: sanitize.build failed or did not run"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd python3
ASAN_LIB=$(gcc -print-file-name=libasan.so)
[ -f "$ASAN_LIB" ] || fail "no libasan.so for gcc"

make_fixture "$WORK"
cd "$WORK" || fail "no $WORK"
cp "$TESTS_DIR/fuzz/corpus/journal/odd_values.db" odd.db
SEED=${TSHARK_FUZZ_SEED:-$(( $(date +%s) % 100000 ))}
echo "seed $SEED (TSHARK_FUZZ_SEED=$SEED repeats this run)"
mkdir caps
python3 "$TESTS_DIR/sanitize/mutate_capture.py" fixture.pcap caps "${TSHARK_FUZZ_COUNT:-24}" "$SEED" || fail "mutate_capture.py"
chmod -R a+rX "$WORK"
ARTIFACTS=$S/artifacts/tshark
mkdir -p "$ARTIFACTS"

# Each capture one way: fields (the whole tree in tshark 4.0), two passes, statistics, details.
modes=("-T fields -e proc.src.name -e proc.dst.name -e proc.src.cmdline -e proc.dst.exe -e proc.src.match"
       "-2 -T fields -e proc.pid -e proc.name" "-q -z proc,tree" "-V")
failed=0 n=0
for cap in caps/*; do
  journal=$([ $((n % 2)) -eq 0 ] && echo fixture.db || echo odd.db)
  read -ra mode <<<"${modes[$((n % ${#modes[@]}))]}"
  n=$((n + 1))
  as_tshark_user "$PLUGIN_HOME" env LD_PRELOAD="$ASAN_LIB" ASAN_OPTIONS=detect_leaks=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    tshark -r "$cap" -o "proc.journal:$journal" "${mode[@]}" >out.txt 2>err.txt
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 2 ] || grep -qE 'runtime error:|Sanitizer|Aborted|Segmentation' err.txt; then
    cp "$cap" "$ARTIFACTS/"
    echo "---- $cap with $journal, tshark ${mode[*]}: exit $rc (kept in $ARTIFACTS)" >&2
    grep -m1 -A12 -E 'runtime error:|ERROR: AddressSanitizer' err.txt >&2 || tail -20 err.txt >&2
    failed=$((failed + 1))
  fi
done
echo "$n captures"
[ $failed -eq 0 ] || fail "$failed of $n captures made tshark with the plugin fail"
pass
