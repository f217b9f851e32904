#!/usr/bin/env python3
"""A pre-fork server: the master ("so-master") listens, two forked workers
("so-worker") accept. The workers wait DELAY seconds before their first accept(), so
that the client's data reaches the accepted socket before its owner is known.

usage: prefork.py OUTFILE DELAY [ACCEPTS [IDLE]]
Prints "PORT" to OUTFILE.port when listening; each worker accepts ACCEPTS connections
(default 1), reads from each (unless IDLE is "idle-second": then the second worker
only accepts and never reads), appends "WORKER_PID SERVER_PORT CLIENT_PORT" to OUTFILE
for each, then holds them.
"""
import os
import signal
import socket
import sys
import time

out, delay = sys.argv[1], float(sys.argv[2])
accepts = int(sys.argv[3]) if len(sys.argv) > 3 else 1
idle_second = len(sys.argv) > 4 and sys.argv[4] == "idle-second"
with open("/proc/self/comm", "w") as f:
    f.write("so-master")
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(16)
workers = []
for n in range(2):
    pid = os.fork()
    if pid == 0:
        with open("/proc/self/comm", "w") as f:
            f.write("so-worker")
        time.sleep(delay)
        held = []
        for _ in range(accepts):
            conn, peer = lst.accept()
            if not (idle_second and n == 1):
                conn.recv(100)
            held.append(conn)
            with open(out, "a") as f:
                f.write(f"{os.getpid()} {lst.getsockname()[1]} {peer[1]}\n")
        time.sleep(60)
        os._exit(0)
    workers.append(pid)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # the workers go with the master
with open(out + ".port.tmp", "w") as f:
    f.write(f"{lst.getsockname()[1]}\n")
os.rename(out + ".port.tmp", out + ".port")
try:
    for pid in workers:
        os.waitpid(pid, 0)
finally:
    for pid in workers:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
