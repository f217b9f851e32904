#!/usr/bin/env python3
"""How many storm connections the journal attributes to the right process.

usage: check_storm.py STORMFILE EXPORT.jsonl [EXE]
Prints "ATTRIBUTED TOTAL"; a connection counts when an interval with its client port
and the server port as remote names the child's pid (and, given EXE, that executable:
the children are forked without exec and exit before /proc can be read).
"""
import json
import sys

# (client port, server port, pid): a client port comes back in a later connection
# once the server's side of the earlier one has left TIME_WAIT, with another pid.
truth = set()
for line in open(sys.argv[1]):
    pid, cport, sport = map(int, line.split())
    truth.add((cport, sport, pid))
found = set()
for line in open(sys.argv[2]):
    d = json.loads(line)
    key = (d["local_port"], d["remote_port"], d["pid"])
    exe_ok = len(sys.argv) < 4 or d["exe"] == sys.argv[3]
    if d["proto"] == "tcp" and key in truth and exe_ok:
        found.add(key)
print(len(found), len(truth))
