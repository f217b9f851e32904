#!/usr/bin/env python3
"""How many storm connections the journal attributes to the right process.

usage: check_storm.py STORMFILE EXPORT.jsonl
Prints "ATTRIBUTED TOTAL"; a connection counts when an interval with its client port
and the server port as remote names the child's pid.
"""
import json
import sys

truth = {}
for line in open(sys.argv[1]):
    pid, cport, sport = map(int, line.split())
    truth[(cport, sport)] = pid
found = set()
for line in open(sys.argv[2]):
    d = json.loads(line)
    key = (d["local_port"], d["remote_port"])
    if d["proto"] == "tcp" and truth.get(key) == d["pid"]:
        found.add(key)
print(len(found), len(truth))
