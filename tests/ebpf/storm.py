#!/usr/bin/env python3
"""A short-connection storm: N child processes, each forked, connects once to a local
TCP server, closes at once (the connection lives well under a millisecond) and exits.

usage: storm.py N OUTFILE
Writes one line per connection to OUTFILE: "CHILD_PID CLIENT_PORT SERVER_PORT", the
ground truth an attribution check compares the journal against.
"""
import os
import socket
import sys
import threading

n, out_path = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1024)
server_port = srv.getsockname()[1]


def serve():
    for _ in range(n):
        conn, _ = srv.accept()
        conn.close()


t = threading.Thread(target=serve, daemon=True)
t.start()

r, w = os.pipe()
children = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(r)
        s = socket.socket()
        s.connect(("127.0.0.1", server_port))
        port = s.getsockname()[1]
        s.close()
        os.write(w, f"{os.getpid()} {port} {server_port}\n".encode())
        os._exit(0)
    children.append(pid)
os.close(w)
data = b""  # read while the children write: more than a pipe's worth would block them
while chunk := os.read(r, 65536):
    data += chunk
for pid in children:
    os.waitpid(pid, 0)
t.join(timeout=10)
with open(out_path, "wb") as f:
    f.write(data)
