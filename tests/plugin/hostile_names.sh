#!/usr/bin/env bash
# A process named with terminal escapes (OSC title, clear screen, CR, a C1 CSI) and a
# command line with a bidi override talks over loopback while the collector records
# and dumpcap captures. Nothing of it reaches the analyst raw through tshark: the Info
# column's tag, the packet tree (-V), -T fields and -z proc,tree show visible escapes.
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_root "procfs mode must see every process's fd table; dumpcap needs CAP_NET_RAW"
need_cmd dumpcap

J=$WORK/j.db
start_capture_collector "$J"
port=$(free_port)
start_dumpcap "tcp port $port"
(exec -a $'evil\xe2\x80\xae\e[2J' /usr/bin/python3 - "$port") <<'PY' &
import socket, sys, time
with open("/proc/self/comm", "wb") as f:
    f.write(b"\x1b]0;x\x07\x1b[2J\r\xc2\x9b")
lst = socket.socket(); lst.bind(("127.0.0.1", int(sys.argv[1]))); lst.listen()
time.sleep(0.6)  # the collector sees the listener and the connection
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
time.sleep(0.4)
for _ in range(5):
    cli.send(b"ping"); acc.recv(10); acc.send(b"pong"); cli.recv(10); time.sleep(0.05)
time.sleep(0.4)
PY
wait $! || fail "the named process failed"
sleep 0.3
stop_dumpcap
stop_collector
chmod a+r "$WORK"/*
cd "$WORK" || fail "no $WORK"

raw_controls() {
  LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}
R=(-r cap.pcapng -o "proc.journal:$J")
tshark_plugin "${R[@]}" >summary.txt 2>&1 || fail "tshark"
tshark_plugin "${R[@]}" -V >tree.txt 2>&1 || fail "tshark -V"
tshark_plugin "${R[@]}" -T fields -e proc.src.name -e proc.dst.name -e proc.src.cmdline >fields.txt 2>&1 ||
  fail "tshark -T fields"
tshark_plugin "${R[@]}" -q -z proc,tree >stats.txt 2>&1 || fail "tshark -z proc,tree"
for f in summary.txt tree.txt fields.txt stats.txt; do
  bad=$(raw_controls "$f") && fail "$f has raw control characters: $(printf '%s' "$bad" | cat -v | head -3)"
  grep -qF '\x1b]0;x\x07\x1b[2J\r\u{009b}' "$f" || fail "$f does not show the escaped name: $(head -5 "$f" | cat -v)"
done
grep -qF 'evil\u{202e}\x1b[2J' fields.txt || fail "the command line is not escaped: $(head -3 fields.txt | cat -v)"
echo "ok: the summary, the tree, -T fields and -z proc,tree show escapes, never raw controls"
pass
