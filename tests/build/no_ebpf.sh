#!/usr/bin/env bash
# The procfs-only configuration (-DSOCKOWNER_EBPF=OFF) builds without libbpf or clang
# and passes its own tests; its collector says why it does not use eBPF.
. "$TESTS_DIR/lib.sh"
need_cmd cmake

B=$BUILD_DIR/no-ebpf
# Built to be run once, not debugged or timed: no optimisation, no debug info, no
# hardening (_FORTIFY_SOURCE wants optimisation; build.hardening checks the real build).
cmake -S "$SOURCE_DIR" -B "$B" -DSOCKOWNER_EBPF=OFF -DSOCKOWNER_PLUGIN=OFF -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O0 -DCMAKE_C_FLAGS=-O0 \
  -DSOCKOWNER_HARDENING=OFF \
  >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log" >&2; fail "configure"; }
cmake --build "$B" -j"$(nproc)" >"$WORK/build.log" 2>&1 || { tail -50 "$WORK/build.log" >&2; fail "build"; }
S=$B/collector/sockowner
if ldd "$S" | grep -q libbpf; then fail "the procfs-only collector links libbpf"; fi
[ ! -e "$B/bpf" ] || fail "the procfs-only build compiled BPF programs"

"$S" collect --journal "$WORK/j.db" --pin-dir "$PIN_DIR" >"$WORK/collect.log" 2>&1 &
C=$!; CLEANUP_PIDS+=("$C")
wait_until 10 grep -q 'mode:' "$WORK/collect.log" || fail "collector did not start"
grep -q 'mode: procfs (built without eBPF (SOCKOWNER_EBPF=OFF))' "$WORK/collect.log" || fail "$(cat "$WORK/collect.log")"
kill -TERM "$C"; wait "$C" || fail "collector did not stop cleanly"
"$S" collect --mode ebpf --journal "$WORK/j.db" 2>"$WORK/ebpf.err"
[ $? -eq 1 ] && grep -q 'built without eBPF' "$WORK/ebpf.err" || fail "--mode ebpf: $(cat "$WORK/ebpf.err")"

# Its unit and CLI tests, and the procfs collector end to end (the other script tests
# run the same procfs code in the full build).
(cd "$B" && ctest --output-on-failure -L 'unit|cli' && ctest --output-on-failure -R '^integration.procfs$') \
  >"$WORK/ctest.log" 2>&1 || { cat "$WORK/ctest.log" >&2; fail "tests of the procfs-only build"; }
grep -E 'tests passed' "$WORK/ctest.log" | tail -2
pass
