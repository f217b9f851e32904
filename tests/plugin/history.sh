#!/usr/bin/env bash
# A capture read against a journal that also holds a week of history (the same ports
# used by other processes, an earlier server on the same port, long connections): the
# plugin reads only the intervals around the packets' times, and the annotations are
# exactly those against the capture's own journal, and those of the whole journal read
# at once (a journal without the window index, as older collectors wrote).
. "$TESTS_DIR/lib.sh"
. "$PLUGIN_TESTS_DIR/plugin_lib.sh"
need_cmd python3
need_cmd sqlite3

cd "$WORK" || fail "no $WORK"
python3 "$TESTS_DIR/../bench/plugin_make_capture.py" 300 cap.pcap || fail "capture not written"
"$PLUGIN_JOURNAL_GEN" synthetic own.db 300 0 || fail "journal not written"
"$PLUGIN_JOURNAL_GEN" synthetic history.db 300 0 200000 || fail "history journal not written"
cp history.db whole.db && sqlite3 whole.db "PRAGMA journal_mode = DELETE; DROP INDEX sockets_long_spans" >/dev/null || fail "no copy without the index"
chmod -R a+rX "$WORK"

fields=(-T fields -e frame.number -e proc.src.pid -e proc.src.name -e proc.src.cmdline -e proc.src.match
        -e proc.dst.pid -e proc.dst.name -e proc.dst.match)
for j in own history whole; do
  tshark_plugin -r cap.pcap -o proc.journal:$j.db --log-level info "${fields[@]}" >$j.txt 2>$j.log ||
    fail "tshark with $j.db failed: $(cat $j.log)"
done
grep -q "history.db: read by time" history.log || fail "history.db not read by time: $(cat history.log)"
grep -q "whole.db: [0-9]* sockets read" whole.log || fail "whole.db not read whole: $(cat whole.log)"
[ "$(wc -l <own.txt)" -eq 1200 ] || fail "expected 1200 packets, got $(wc -l <own.txt)"
both=$(awk -F'\t' '$2 != "" && $6 != ""' own.txt | wc -l)
[ "$both" -ge 900 ] || fail "only $both packets with both owners"
grep -q old-client own.txt history.txt && fail "a process of the week before named on the capture's packets"
diff -u own.txt history.txt >/dev/null || fail "history changes the annotations: $(diff own.txt history.txt | head -5)"
diff -u own.txt whole.txt >/dev/null || fail "reading whole changes the annotations: $(diff own.txt whole.txt | head -5)"

# Stopped early (-c): the journal's read-ahead, started by the first packet (here on a
# journal of 40 000 connections after the capture's: a step of 4 000 rows, still being
# read), stops before tshark unloads the plugin (its thread runs the plugin's code).
"$PLUGIN_JOURNAL_GEN" synthetic dense.db 40000 0 || fail "dense journal not written"
chmod a+r dense.db*
for i in 1 2 3 4 5 6; do
  tshark_plugin -r cap.pcap -c 3 -o proc.journal:dense.db -T fields -e proc.src.name >early.txt 2>early.log ||
    fail "tshark -c 3 failed in run $i (exit $?): $(tail -3 early.log)"
  [ "$(grep -c . early.txt)" -eq 3 ] || fail "tshark -c 3 printed, in run $i: $(cat early.txt early.log)"
done
pass
