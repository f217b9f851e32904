#!/usr/bin/env bash
# A full disk does not stop the collector nor lose what it saw: writes fail, the
# collector says so once, keeps the queued rows and writes them when space is back.
. "$TESTS_DIR/lib.sh"
need_root "mounting a small tmpfs"
D=$WORK/fs
small_tmpfs "$D" 2m

J=$D/j.db
start_collector "$J" --mode procfs --poll-interval 50
sleep 0.5
dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null || true  # until ENOSPC
python3 - "$WORK/ports" <<'PY'
import socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write("so-disk-full")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(128)
conns = []
for _ in range(50):
    c = socket.create_connection(lst.getsockname()); a, _ = lst.accept()
    conns.append((c, a))
with open(sys.argv[1], "w") as f:
    print(lst.getsockname()[1], *[c.getsockname()[1] for c, _ in conns], file=f)
time.sleep(1.5)
PY
wait_until 5 grep -q 'keeping .* operations in memory and retrying' "$WORK/collector.log" ||
  { cat "$WORK/collector.log" >&2; fail "no warning while the disk was full"; }
kill -0 "$COLLECTOR_PID" || fail "the collector died on a full disk"
rm -f "$D/filler"
wait_until 5 grep -q 'written again' "$WORK/collector.log" || { cat "$WORK/collector.log" >&2; fail "no recovery"; }
stop_collector
read -r lport cports <"$WORK/ports"
intervals "$J" >"$WORK/intervals.txt"
missing=0
for cp in $cports; do
  for pair in "127.0.0.1:$cp 127.0.0.1:$lport" "127.0.0.1:$lport 127.0.0.1:$cp"; do
    grep -q "^tcp $pair [0-9]* so-disk-full procfs closed$" "$WORK/intervals.txt" || missing=$((missing + 1))
  done
done
[ "$missing" -eq 0 ] || { head "$WORK/intervals.txt" >&2; fail "$missing of 100 intervals lost while the disk was full"; }
"$SOCKOWNER" stats --journal "$J" | grep -qE 'journal.failed_flushes +[1-9]' || fail "failed flushes not counted"
echo "ok: 100 intervals written after the disk had space again"
pass
