#!/usr/bin/env python3
"""Servers that accept a connection in one process and serve it in another, and the
client that talks to them: the ground truth for hand-off tests.

usage: handoff.py serve MODE OUTFILE     (runs until killed)
       handoff.py client PORT COUNT OUTFILE [twice]

Servers (the acceptor is named so-acceptor; the serving process as below):
  forking  socketserver.ForkingTCPServer: the parent accepts, a forked child
           ("so-fork-child") reads the request and answers
  scm      the acceptor passes the connection over SCM_RIGHTS to a worker started
           before ("so-scm-worker"), closes its copy; the worker answers
  exec     the acceptor starts cat(1) with the connection as its stdin and stdout
           (inetd's way): another program serves it
  recv     the acceptor reads the request itself, then a forked child
           ("so-late-child") answers: the request is the acceptor's, the reply the child's
  execself a process ("so-exec-self") accepts, answers the first request, then exec()s
           sh, which exec()s cat(1) on the connection: the same pid, another program
           answers the second request

A server writes "PORT" to OUTFILE.port once it listens, and for every connection a line
"ACCEPTOR_PID SERVER_PID CLIENT_PORT" to OUTFILE once the serving process has it.

The client opens COUNT connections one after the other; on each it sends one line
(two, one after the other's answer, with "twice"), reads the answer (the same line),
closes, and appends "CLIENT_PORT T_ANSWERED" to OUTFILE (T: wall-clock seconds after
the last answer).
"""
import os
import signal
import socket
import socketserver
import subprocess
import sys
import time


def name(comm):
    with open("/proc/self/comm", "w") as f:
        f.write(comm)


def record(out, acceptor, server, client_port):
    with open(out, "a") as f:
        f.write(f"{acceptor} {server} {client_port}\n")


def listening(out, port):
    with open(out + ".port.tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(out + ".port.tmp", out + ".port")


def answer(conn, text):
    conn.sendall(text.encode())


def serve_forking(out):
    acceptor = os.getpid()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            name("so-fork-child")
            record(out, acceptor, os.getpid(), self.client_address[1])
            line = self.rfile.readline()
            self.wfile.write(line)

    socketserver.ForkingTCPServer.allow_reuse_address = True
    with socketserver.ForkingTCPServer(("127.0.0.1", 0), Handler) as srv:
        listening(out, srv.server_address[1])
        srv.serve_forever()


def serve_scm(out):
    parent_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    acceptor = os.getpid()
    if os.fork() == 0:
        name("so-scm-worker")
        parent_end.close()
        while True:
            _, fds, _, _ = socket.recv_fds(worker_end, 16, 1)
            if not fds:
                os._exit(0)
            conn = socket.socket(fileno=fds[0])
            record(out, acceptor, os.getpid(), conn.getpeername()[1])
            answer(conn, conn.makefile().readline())
            conn.close()
    worker_end.close()
    lst = socket.create_server(("127.0.0.1", 0))
    listening(out, lst.getsockname()[1])
    while True:
        conn, _ = lst.accept()
        socket.send_fds(parent_end, [b"x"], [conn.fileno()])
        conn.close()


def serve_exec(out):
    acceptor = os.getpid()
    lst = socket.create_server(("127.0.0.1", 0))
    listening(out, lst.getsockname()[1])
    while True:
        conn, peer = lst.accept()
        cat = subprocess.Popen(["cat"], stdin=conn, stdout=conn)
        record(out, acceptor, cat.pid, peer[1])
        conn.close()
        cat.wait()


def serve_recv(out):
    acceptor = os.getpid()
    lst = socket.create_server(("127.0.0.1", 0))
    listening(out, lst.getsockname()[1])
    while True:
        conn, peer = lst.accept()
        line = conn.makefile().readline()
        time.sleep(0.05)  # the request's packets well before the child takes over
        pid = os.fork()
        if pid == 0:
            name("so-late-child")
            record(out, acceptor, os.getpid(), peer[1])
            answer(conn, line)
            os._exit(0)
        conn.close()
        os.waitpid(pid, 0)


def serve_execself(out):
    lst = socket.create_server(("127.0.0.1", 0))
    listening(out, lst.getsockname()[1])
    child = 0

    def stop(*_):
        if child:
            os.kill(child, signal.SIGKILL)  # it waits in accept(): it goes with us
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        child = pid = os.fork()
        if pid == 0:
            name("so-exec-self")
            conn, peer = lst.accept()
            record(out, os.getpid(), os.getpid(), peer[1])
            answer(conn, conn.makefile().readline())
            fd = conn.detach()
            os.dup2(fd, 0)
            os.dup2(fd, 1)
            os.execv("/bin/sh", ["sh", "-c", "exec cat"])
        os.waitpid(pid, 0)


def client(port, count, out, twice=False):
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as c:
            cport = c.getsockname()[1]
            lines = c.makefile()
            for line in ["hello from so-client\n", "again from so-client\n"][: 2 if twice else 1]:
                c.sendall(line.encode())  # at once, as curl does: before any hand-off
                got = lines.readline()
                if got != line:
                    sys.exit(f"port {port}: answer {got!r}")
            answered = time.time()
            c.shutdown(socket.SHUT_WR)
            c.recv(16)
        with open(out, "a") as f:
            f.write(f"{cport} {answered:.6f}\n")
        time.sleep(0.02)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        mode, out = sys.argv[2], sys.argv[3]
        name("so-acceptor")
        {"forking": serve_forking, "scm": serve_scm, "exec": serve_exec, "recv": serve_recv,
         "execself": serve_execself}[mode](out)
    else:
        client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "twice")
