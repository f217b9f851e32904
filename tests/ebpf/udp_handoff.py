#!/usr/bin/env python3
"""Unconnected UDP servers (recvfrom/sendto, as DNS servers work) whose socket passes to
another process or program, and their client: the ground truth for UDP hand-off tests.

usage: udp_handoff.py serve MODE OUTFILE   (runs until killed)
       udp_handoff.py client PORT OUTFILE

Servers:
  fork  a process ("so-udp-parent") binds the socket, a forked child ("so-udp-child")
        answers every datagram; the parent never uses it again
  exec  a process ("so-udp-self") binds the socket and answers the first datagram,
        then exec()s python3 on it (the same pid, another program), which answers the
        rest

A server writes "PORT" to OUTFILE.port once it is bound, and "SERVER_PID" to OUTFILE
once the process that answers last has the socket.

The client sends two datagrams from one unconnected socket, each after the answer to
the one before (the same bytes), and writes "CLIENT_PID CLIENT_PORT T_ANSWERED" to
OUTFILE (T: wall-clock seconds after the last answer).
"""
import os
import signal
import socket
import sys
import time


def name(comm):
    with open("/proc/self/comm", "w") as f:
        f.write(comm)


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def echo(s):
    while True:
        data, peer = s.recvfrom(512)
        s.sendto(data, peer)


def serve_fork(out):
    name("so-udp-parent")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    pid = os.fork()
    if pid == 0:
        name("so-udp-child")
        write(out, f"{os.getpid()}\n")
        echo(s)
    def stop(*_):
        os.kill(pid, signal.SIGKILL)  # it serves until killed: it goes with us
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    write(out + ".port", f"{s.getsockname()[1]}\n")
    os.waitpid(pid, 0)


def serve_exec(out):
    name("so-udp-self")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    write(out, f"{os.getpid()}\n")
    write(out + ".port", f"{s.getsockname()[1]}\n")
    data, peer = s.recvfrom(512)
    s.sendto(data, peer)
    fd = s.detach()
    os.set_inheritable(fd, True)
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "echo", str(fd)])


def client(port, out):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.bind(("127.0.0.1", 0))
    c.settimeout(5)
    for line in (b"hello from so-client\n", b"again from so-client\n"):
        c.sendto(line, ("127.0.0.1", port))
        got, _ = c.recvfrom(512)
        if got != line:
            sys.exit(f"port {port}: answer {got!r}")
    with open(out, "a") as f:
        f.write(f"{os.getpid()} {c.getsockname()[1]} {time.time():.6f}\n")


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        {"fork": serve_fork, "exec": serve_exec}[sys.argv[2]](sys.argv[3])
    elif sys.argv[1] == "echo":
        echo(socket.socket(fileno=int(sys.argv[2])))
    else:
        client(int(sys.argv[2]), sys.argv[3])
