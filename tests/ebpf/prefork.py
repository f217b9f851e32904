#!/usr/bin/env python3
"""A pre-fork server: the master ("so-master") listens, two forked workers
("so-worker") accept. The workers wait DELAY seconds before accept(), so that the
client's data reaches the accepted socket before its owner is known.

usage: prefork.py OUTFILE DELAY
Prints "PORT" to OUTFILE.port when listening; each worker appends
"WORKER_PID SERVER_PORT CLIENT_PORT" to OUTFILE once it has accepted, then holds.
"""
import os
import socket
import sys
import time

out, delay = sys.argv[1], float(sys.argv[2])
with open("/proc/self/comm", "w") as f:
    f.write("so-master")
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(16)
workers = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        with open("/proc/self/comm", "w") as f:
            f.write("so-worker")
        time.sleep(delay)
        conn, peer = lst.accept()
        conn.recv(100)
        with open(out, "a") as f:
            f.write(f"{os.getpid()} {lst.getsockname()[1]} {peer[1]}\n")
        time.sleep(30)
        os._exit(0)
    workers.append(pid)
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
