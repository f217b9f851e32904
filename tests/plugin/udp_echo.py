#!/usr/bin/env python3
"""A UDP request/response exchange on loopback, for the capture tests.

usage: udp_echo.py server PORT IDLE    answer every datagram until IDLE seconds pass
       udp_echo.py client PORT         15 requests 100 ms apart, each answered
"""
import socket
import sys
import time

role, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if role == "server":
    s.bind(("127.0.0.1", port))
    s.settimeout(float(sys.argv[3]))
    try:
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(b"re:" + data, peer)
    except socket.timeout:
        pass
else:
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    time.sleep(0.3)  # the server is up
    for i in range(15):
        s.sendto(b"ping %d" % i, ("127.0.0.1", port))
        s.recvfrom(2048)
        time.sleep(0.1)
