#!/usr/bin/env python3
"""Writes the plugin benchmark's capture: FLOWS loopback TCP connections, 4 packets
each (SYN, SYN-ACK, data, FIN), deterministically. Flow i matches what
`plugin_journal_gen synthetic` records: client 127.0.0.1:(20000 + i % 40000) to
127.0.0.1:8080, starting at T0 + i ms.

usage: plugin_make_capture.py FLOWS OUT.pcap
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "plugin"))
from pcapwrite import T0, ACK, FIN, PSH, SYN, TcpConnection, eth, ipv4, write_pcap  # noqa: E402

LO = "127.0.0.1"


def records(flows):
    for i in range(flows):
        t = T0 * 1_000_000 + i * 1000  # microseconds
        c = TcpConnection(LO, 20000 + i % 40000, LO, 8080)
        for dt, from_server, flags, data in ((0, 0, SYN, b""), (100, 1, SYN | ACK, b""),
                                             (1000, 0, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n"),
                                             (3000, 1, FIN | ACK, b"")):
            src, dst, segment = c.segment(from_server, flags, data)
            yield t + dt, eth(ipv4(src, dst, 6, segment))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    # Sorted by time: flows overlap (each lasts 3 ms, one starts every 1 ms).
    write_pcap(sys.argv[2], sorted(records(int(sys.argv[1])), key=lambda r: r[0]))


if __name__ == "__main__":
    main()
