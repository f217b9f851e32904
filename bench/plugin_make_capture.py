#!/usr/bin/env python3
"""Writes the plugin benchmark's capture: FLOWS loopback TCP connections, PACKETS
each (SYN, SYN-ACK, PACKETS - 3 data segments taking turns, FIN; 4 by default: one
request), deterministically. Flow i matches what `plugin_journal_gen synthetic`
records: client 127.0.0.1:(20000 + i % 40000) to 127.0.0.1:8080, starting at
T0 + i ms, its packets within 3 ms.

usage: plugin_make_capture.py FLOWS OUT.pcap [PACKETS]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "plugin"))
from pcapwrite import T0, ACK, FIN, PSH, SYN, TcpConnection, eth, ipv4, write_pcap  # noqa: E402

LO = "127.0.0.1"


def segments(packets):
    """(microseconds into the flow, from the server, flags, payload) of one flow."""
    yield 0, 0, SYN, b""
    yield 100, 1, SYN | ACK, b""
    if packets == 4:
        yield 1000, 0, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n"
    else:  # a longer exchange: segments of 100 bytes taking turns, spread over 1-2.9 ms
        for k in range(packets - 3):
            yield 1000 + k * 1900 // (packets - 3), k % 2, PSH | ACK, bytes(100)
    yield 3000, 1, FIN | ACK, b""


def records(flows, packets):
    for i in range(flows):
        t = T0 * 1_000_000 + i * 1000  # microseconds
        # Each connection's own initial sequence numbers, as a kernel picks them: a
        # port used again is a new connection to Wireshark, not a retransmission.
        isn = (i * 2654435761 % 2**32, (i * 2246822519 + 374761393) % 2**32)
        c = TcpConnection(LO, 20000 + i % 40000, LO, 8080, isn)
        for dt, from_server, flags, data in segments(packets):
            src, dst, segment = c.segment(from_server, flags, data)
            yield t + dt, eth(ipv4(src, dst, 6, segment))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    packets = int(sys.argv[3]) if len(sys.argv) == 4 else 4
    if packets < 4:
        sys.exit("PACKETS: at least 4")
    # Sorted by time: flows overlap (each lasts 3 ms, one starts every 1 ms).
    write_pcap(sys.argv[2], sorted(records(int(sys.argv[1]), packets), key=lambda r: r[0]))


if __name__ == "__main__":
    main()
