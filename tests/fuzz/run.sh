#!/usr/bin/env bash
# The fuzz tests. FUZZ_TARGET empty: configure and build $BUILD_DIR/fuzz (clang,
# libFuzzer, ASan+UBSan on every library). FUZZ_TARGET=NAME: replay every input under
# tests/fuzz/findings/NAME/ (known findings: each must pass once fixed), then fuzz NAME
# for FUZZ_SECONDS from tests/fuzz/corpus/NAME/. Fails on any crash, sanitizer report,
# leak, timeout (-timeout=5 per input) or memory over 1 GB, printing the reproducer.
. "$TESTS_DIR/lib.sh"

B=$BUILD_DIR/fuzz
FUZZ_DIR=$TESTS_DIR/fuzz

if [ -z "${FUZZ_TARGET:-}" ]; then
  # clang is there (the eBPF build needs it); its fuzzer and sanitizer runtimes may not be.
  echo 'int LLVMFuzzerTestOneInput(const char* d, long n) { return d && n < 0; }' >"$WORK/probe.c"
  clang -fsanitize=fuzzer,address,undefined "$WORK/probe.c" -o "$WORK/probe" 2>"$WORK/probe.log" ||
    { cat "$WORK/probe.log" >&2; fail "clang cannot link -fsanitize=fuzzer,address,undefined: libclang-rt-14-dev missing? (scripts/setup)"; }
  CC=clang CXX=clang++ cmake -S "$SOURCE_DIR" -B "$B" -DSOCKOWNER_FUZZ=ON -DSOCKOWNER_EBPF=OFF -DSOCKOWNER_PLUGIN=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log" >&2; fail "configure the fuzz build"; }
  cmake --build "$B" --target fuzzers -j"$(nproc)" >"$WORK/build.log" 2>&1 ||
    { grep -E 'error|undefined reference' "$WORK/build.log" | head -40 >&2; tail -20 "$WORK/build.log" >&2; fail "build the fuzz targets"; }
  pass
fi

F=$B/tests/fuzz/fuzz_$FUZZ_TARGET
[ -x "$F" ] || fail "$F missing: fuzz.build failed or did not run"
ARTIFACTS=$B/artifacts/$FUZZ_TARGET
mkdir -p "$ARTIFACTS" "$WORK/new"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-timeout=5 -rss_limit_mb=1024 -malloc_limit_mb=1024)
failed=0

# report LOG WHAT: the sanitizer's or libFuzzer's report and how to reproduce it.
report() {
  echo "---- $2: fuzz_$FUZZ_TARGET failed" >&2
  grep -m1 -B2 -A40 -E '^==[0-9]+==ERROR|runtime error:|^==[0-9]+== ERROR: libFuzzer|ALARM: working on the last Unit|out-of-memory|deadly signal' "$1" >&2 ||
    tail -40 "$1" >&2
  grep -E 'Test unit written to|^artifact_prefix' "$1" >&2
  echo "reproduce: $F ${limits[*]} INPUT" >&2
  failed=1
}

# Known findings: each input once (the fuzzer's "run these files" mode), one at a time
# so that every one is reported.
shopt -s nullglob
for input in "$FUZZ_DIR/findings/$FUZZ_TARGET"/*; do
  if "$F" "${limits[@]}" "$input" >"$WORK/replay.log" 2>&1; then
    echo "finding $(basename "$input"): passes"
  else
    report "$WORK/replay.log" "finding $(basename "$input") (tests/fuzz/findings/$FUZZ_TARGET)"
  fi
done

# New inputs land in $WORK/new (the first corpus directory), never in the source tree.
"$F" "${limits[@]}" -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=1 \
  -artifact_prefix="$ARTIFACTS/" "$WORK/new" "$FUZZ_DIR/corpus/$FUZZ_TARGET" >"$WORK/fuzz.log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$WORK/fuzz.log"
[ $rc -eq 0 ] || report "$WORK/fuzz.log" "fuzzing for ${FUZZ_SECONDS:-20} s (exit $rc; the input is kept in $ARTIFACTS)"
[ $failed -eq 0 ] || fail "fuzz_$FUZZ_TARGET"
pass
