#!/usr/bin/env bash
# A process may call itself anything: ESC sequences, CR, C1 controls and bidi overrides
# in its name (prctl PR_SET_NAME) and command line, a spreadsheet formula as its
# command line's start. Under a real collector, nothing of it reaches an analyst raw: `lookup`,
# `stats` and CSV export print visible escapes (and CSV no live formula), JSON stays
# JSON and gives the original back.
. "$TESTS_DIR/lib.sh"
need_root "the collector must see the process's sockets"

J=$WORK/j.db
if [ "${COLLECT_MODE:-procfs}" = ebpf ]; then start_ebpf_collector "$J"; else start_collector "$J" --mode procfs --poll-interval 50; fi
NAME=$'\e]0;x\a\e[2J\r\xc2\x9b'      # OSC title, clear screen, CR, C1 CSI: 15 bytes, comm's limit
ARG=$'=HYPERLINK("http://evil/")\e[1A\n\xe2\x80\xaeexe.txt'
(exec -a "$ARG" /usr/bin/python3 - "$WORK/conn.txt") <<'PY' &  # argv[0]: the command line starts with a formula
import os, socket, sys, time
with open("/proc/self/comm", "wb") as f:
    f.write(b"\x1b]0;x\x07\x1b[2J\r\xc2\x9b")
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
with open(sys.argv[1] + ".tmp", "w") as f:
    print(os.getpid(), cli.getsockname()[1], lst.getsockname()[1], file=f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(30)
PY
P=$!; CLEANUP_PIDS+=("$P")
wait_until 5 test -s "$WORK/conn.txt" || fail "connection not set up"
read -r pid cport lport <"$WORK/conn.txt"
sleep 0.5

# raw_controls FILE: lines holding a C0 control other than the line end, DEL, a C1
# control (UTF-8 C2 80..9F) or a bidi override (E2 80 AA..AE, E2 81 A6..A9).
raw_controls() {
  LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}
"$SOCKOWNER" lookup --journal "$J" tcp "127.0.0.1:$cport" "127.0.0.1:$lport" >"$WORK/lookup.txt" ||
  fail "no owner for the connection"
grep -qF '\x1b]0;x\x07\x1b[2J\r\u{009b}' "$WORK/lookup.txt" || fail "lookup does not show the escaped name: $(cat -v "$WORK/lookup.txt")"
"$SOCKOWNER" stats --journal "$J" >"$WORK/stats.txt"
"$SOCKOWNER" export --journal "$J" --format csv >"$WORK/export.csv"
"$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl"
stop_collector
for f in lookup.txt stats.txt export.csv export.jsonl "collector.log"; do
  bad=$(raw_controls "$WORK/$f") && fail "$f has raw control characters: $(printf '%s' "$bad" | cat -v | head -3)"
done
echo "ok: no raw control characters in lookup, stats, CSV, JSON, the log"
grep -qF "\"'=HYPERLINK(\"\"http://evil/\"\")" "$WORK/export.csv" || fail "the CSV formula is live: $(grep -a HYPERLINK "$WORK/export.csv" | cat -v)"
[ "$(awk 'END {print NR}' "$WORK/export.csv")" -eq "$(($(wc -l <"$WORK/export.jsonl") + 1))" ] ||
  fail "CSV rows and JSON lines differ: a line break leaked into a CSV row"
python3 - "$WORK/export.jsonl" "$pid" "$ARG" <<'PY' || fail "JSON does not give the original name and argument back"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
mine = [r for r in rows if r["pid"] == int(sys.argv[2])]
assert mine, "no interval of the process"
name = "\x1b]0;x\x07\x1b[2J\r\x9b"
assert all(r["name"] == name for r in mine), mine[0]["name"]
assert all(sys.argv[3] in r["cmdline"] for r in mine), mine[0]["cmdline"]
PY
echo "ok: CSV formulas are text, JSON round-trips"
pass
