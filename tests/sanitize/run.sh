#!/usr/bin/env bash
# The unit suite (label unit: the CMocka tests and the plugin's epan-free tests) built
# with -fsanitize=address,undefined -fno-sanitize-recover=all in $BUILD_DIR/sanitize.
# SANITIZE_STEP=build configures and builds it (with the plugin module and the journal
# generator, for sanitize.tshark); SANITIZE_STEP=unit runs it. Any report (out-of-bounds
# access, use after free, leak, undefined behaviour) fails the test that made it.
. "$TESTS_DIR/lib.sh"

B=$BUILD_DIR/sanitize
if [ "${SANITIZE_STEP:-}" = build ]; then
  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake -S "$SOURCE_DIR" -B "$B" -DSOCKOWNER_EBPF=ON -DSOCKOWNER_PLUGIN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DCMAKE_CXX_FLAGS="$SAN" -DCMAKE_C_FLAGS="$SAN" \
    >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log" >&2; fail "configure the sanitizer build"; }
  # The unit tests' executables, not the BPF objects or the collector.
  targets=$(cd "$B" && ctest -N -L unit | sed -n 's/^ *Test *#[0-9]*: //p' |
            sed -e 's/^plugin\.unit\./test_plugin_/' -e 's/^unit\./test_/')
  [ -n "$targets" ] || fail "no unit tests found in $B"
  # shellcheck disable=SC2086
  cmake --build "$B" -j"$(nproc)" --target $targets sockowner_plugin plugin_journal_gen >"$WORK/build.log" 2>&1 ||
    { grep -E 'error' "$WORK/build.log" | head -40 >&2; tail -20 "$WORK/build.log" >&2; fail "build with sanitizers"; }
  pass
fi

[ -f "$B/CTestTestfile.cmake" ] || fail "$B missing: sanitize.build failed or did not run"
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$B" && ctest -L unit --output-on-failure --timeout 120) >"$WORK/ctest.log" 2>&1
rc=$?
grep -E 'tests passed|tests failed' "$WORK/ctest.log"
if [ $rc -ne 0 ]; then
  # The sanitizers' reports, then ctest's list of failures.
  grep -E -A30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK/ctest.log" | head -150 >&2
  sed -n '/The following tests FAILED/,$p' "$WORK/ctest.log" >&2
  fail "unit tests under ASan+UBSan"
fi
pass
