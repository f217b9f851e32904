#!/usr/bin/env python3
"""Opens one socket of each kind sockowner tracks, prints how `sockowner lookup` would
name each (PROTO LOCAL REMOTE), then "READY", and keeps them open for HOLD seconds.

usage: socket_kinds.py OUTFILE HOLD
The process names itself "so-kinds"; one socket is opened by a thread with another
name, to check that the process's name is recorded, not the thread's.
"""
import ctypes
import os
import socket
import sys
import threading
import time

out_path, hold = sys.argv[1], float(sys.argv[2])
with open("/proc/self/comm", "w") as f:
    f.write("so-kinds")

lines, keep = [], []
libc = ctypes.CDLL(None, use_errno=True)


def ep(addr):
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tcp(family, host):
    lst = socket.socket(family, socket.SOCK_STREAM)
    lst.bind((host, 0))
    lst.listen()
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.connect(lst.getsockname()[:2])
    acc, _ = lst.accept()
    keep.extend([lst, cli, acc])
    v = "6" if family == socket.AF_INET6 else "4"
    far = "[::1]:1" if v == "6" else "127.0.0.1:1"
    lines.append(f"tcp{v}-listener tcp {ep(lst.getsockname())} {far}")
    lines.append(f"tcp{v}-client tcp {ep(cli.getsockname())} {ep(cli.getpeername())}")
    lines.append(f"tcp{v}-accepted tcp {ep(acc.getsockname())} {ep(acc.getpeername())}")


def udp(family, host):
    v = "6" if family == socket.AF_INET6 else "4"
    far = ("::1", 9) if v == "6" else ("127.0.0.1", 9)
    recv_only = socket.socket(family, socket.SOCK_DGRAM)
    recv_only.bind((host, 0))
    connected = socket.socket(family, socket.SOCK_DGRAM)
    connected.connect(recv_only.getsockname()[:2])
    connected.send(b"hello")
    unconnected = socket.socket(family, socket.SOCK_DGRAM)
    unconnected.sendto(b"hello", recv_only.getsockname()[:2])
    # Connected, then connected elsewhere; connected, then disconnected (AF_UNSPEC)
    # and sending unconnected: each new tuple is reported, however often it changes.
    redial = socket.socket(family, socket.SOCK_DGRAM)
    redial.connect(recv_only.getsockname()[:2])
    redial.send(b"first")
    redial.connect(far)
    redial.send(b"second")
    dropped = socket.socket(family, socket.SOCK_DGRAM)
    dropped.connect(recv_only.getsockname()[:2])
    dropped.send(b"first")
    unspec = (ctypes.c_ubyte * 28)()  # a sockaddr whose family is AF_UNSPEC
    if libc.connect(dropped.fileno(), unspec, len(unspec)) != 0:
        raise OSError(ctypes.get_errno(), "connect(AF_UNSPEC)")
    dropped.sendto(b"second", recv_only.getsockname()[:2])
    keep.extend([recv_only, connected, unconnected, redial, dropped])
    lines.append(f"udp{v}-reconnected udp {ep(redial.getsockname())} {ep(far)}")
    lines.append(f"udp{v}-disconnected udp {ep(dropped.getsockname())} {ep(far)}")
    lines.append(f"udp{v}-receive-only udp {ep(recv_only.getsockname())} {ep(far)}")
    lines.append(f"udp{v}-connected udp {ep(connected.getsockname())} {ep(connected.getpeername())}")
    # An unconnected, unbound socket is bound to the any-address by its first send.
    port = unconnected.getsockname()[1]
    lines.append(f"udp{v}-unconnected udp {ep((host, port))} {ep(far)}")


def ping(family, host):
    v = "6" if family == socket.AF_INET6 else "4"
    proto = socket.IPPROTO_ICMPV6 if v == "6" else socket.IPPROTO_ICMP
    s = socket.socket(family, socket.SOCK_DGRAM, proto)
    echo = bytes([128 if v == "6" else 8, 0, 0, 0, 0, 0, 0, 1]) + b"sockowner"
    s.sendto(echo, (host, 0))
    keep.append(s)
    ident = s.getsockname()[1]
    name = "icmpv6" if v == "6" else "icmp"
    lines.append(f"ping{v} {name} {ep((host, ident))} {ep((host, 0))}")


def from_thread():
    with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
        f.write("worker-thread")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    keep.append(s)
    lines.append(f"udp4-from-thread udp {ep(s.getsockname())} 127.0.0.1:9")


tcp(socket.AF_INET, "127.0.0.1")
tcp(socket.AF_INET6, "::1")
udp(socket.AF_INET, "127.0.0.1")
udp(socket.AF_INET6, "::1")
try:
    ping(socket.AF_INET, "127.0.0.1")
    ping(socket.AF_INET6, "::1")
except PermissionError:
    lines.append("# ping sockets not permitted (net.ipv4.ping_group_range)")
t = threading.Thread(target=from_thread)
t.start()
t.join()

with open(out_path + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\nREADY\n")
os.rename(out_path + ".tmp", out_path)
time.sleep(hold)
