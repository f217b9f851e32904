#!/usr/bin/env bash
# 2000 TCP connections, each open well under a millisecond, each from a child process
# that exits right after: all 2000 are in the journal with the child's pid.
. "$TESTS_DIR/lib.sh"

J=$WORK/j.db
start_ebpf_collector "$J"
python3 "$TESTS_DIR/ebpf/storm.py" 2000 "$WORK/storm.txt" || fail "storm failed"
[ "$(wc -l <"$WORK/storm.txt")" -eq 2000 ] || fail "storm made $(wc -l <"$WORK/storm.txt") connections"
sleep 2.5  # also long enough for a resync that came too often to show
stop_collector
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl"
exe=$(python3 -c 'import os; print(os.readlink("/proc/self/exe"))')  # what the kernel says python is
read -r found total < <(python3 "$TESTS_DIR/ebpf/check_storm.py" "$WORK/storm.txt" "$WORK/export.jsonl" "$exe")
echo "attributed $found of $total, with exe $exe"
[ "$found" -eq 2000 ] || fail "only $found of $total storm connections attributed to their process (and $exe)"
"$SOCKOWNER" stats --journal "$J" --json >"$WORK/stats.json"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][-1]["counters"]
assert r["ebpf.lost"] == 0, r
assert r["ebpf.resyncs"] == 1, r  # the start-up one; the next is a minute away and nothing was lost
print("events", r["ebpf.events"], "lost", r["ebpf.lost"], "resyncs", r["ebpf.resyncs"])' "$WORK/stats.json" ||
  fail "events were lost, or resyncs ran more often than once a minute"
pass
