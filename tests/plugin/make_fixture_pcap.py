#!/usr/bin/env python3
"""Writes the plugin's fixture capture (pcap, Ethernet) deterministically.

The packets match the journal `plugin_journal_gen fixture` writes: same tuples, same
times (seconds after T0 = 2026-01-01T00:00:00Z). Each case says what the plugin
must answer; golden_fields.txt holds the answers.

usage: make_fixture_pcap.py OUT.pcap
"""
import sys

from pcapwrite import (T0, TcpConnection, arp_request, eth, icmp4, icmp6, ipv4, ipv6, tcp, udp,
                       write_pcap, ACK, FIN, PSH, RST, SYN)

LOCAL, LOCAL6, WEB, DNS, PEER6, STRANGER = (
    "10.0.0.1", "2001:db8::1", "192.0.2.10", "192.0.2.53", "2001:db8::99", "198.51.100.7")
LO, LO6 = "127.0.0.1", "::1"


def v4(t, src, dst, proto, payload, ident=0):
    return (t, eth(ipv4(src, dst, proto, payload, ident)))


def v6(t, src, dst, nxt, payload):
    return (t, eth(ipv6(src, dst, nxt, payload), ethertype=0x86DD))


def seg(t, conn, from_server, flags, data=b""):
    src, dst, segment = conn.segment(from_server, flags, data)
    if ":" in src:
        return v6(t, src, dst, 6, segment)
    return v4(t, src, dst, 6, segment)


def udp4(t, src, sport, dst, dport, data):
    return v4(t, src, dst, 17, udp(src, dst, sport, dport, data))


def packets():
    p = []
    # Loopback HTTP: curl 4242 <-> python3 17 (listener 0.0.0.0:8000, accepted socket).
    c = TcpConnection(LO, 40000, LO, 8000)
    p += [seg(2.0, c, 0, SYN),
          seg(2.0001, c, 1, SYN | ACK),
          seg(2.0002, c, 0, ACK),
          seg(2.0003, c, 0, PSH | ACK, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
          seg(2.001, c, 1, PSH | ACK, b"HTTP/1.0 200 OK\r\n\r\nhello"),
          seg(2.5, c, 0, FIN | ACK),
          seg(2.6, c, 1, FIN | ACK),
          # Both intervals are over (+1 s grace): curl's side by conversation, python's by its listener.
          seg(4.0, c, 0, ACK)]
    # Port reuse: the same tuple is curl's at 10 s, wget's at 30 s.
    c = TcpConnection(LOCAL, 40001, WEB, 80)
    p += [seg(10.0, c, 0, SYN),
          seg(10.05, c, 1, SYN | ACK),
          seg(20.0, c, 1, FIN | ACK)]  # after curl's interval: the conversation's owner
    c = TcpConnection(LOCAL, 40001, WEB, 80)
    c.next_seq = [90000, 70000]
    p += [seg(30.0, c, 0, SYN),
          seg(30.05, c, 1, SYN | ACK)]
    # PID reuse: pid 6000 is dnsmasq at 20 s, unbound at 60 s.
    p += [udp4(20.0, STRANGER, 33000, LOCAL, 4000, b"q1"),
          udp4(20.001, LOCAL, 4000, STRANGER, 33000, b"r1"),
          udp4(60.0, STRANGER, 33001, LOCAL, 4000, b"q2"),
          udp4(60.001, LOCAL, 4000, STRANGER, 33001, b"r2")]
    # IPv6 TCP: firefox.
    c = TcpConnection(LOCAL6, 50000, PEER6, 443)
    p += [seg(5.0, c, 0, SYN), seg(5.01, c, 1, SYN | ACK)]
    # Connected UDP, 0.4 s before the collector saw the socket (within the 1 s slack).
    p += [udp4(6.6, LOCAL, 53000, DNS, 53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01"),
          udp4(6.65, DNS, 53, LOCAL, 53000, b"\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01")]
    # ICMP echo: the identifier is the ping socket's port.
    p += [v4(8.0, LOCAL, WEB, 1, icmp4(8, 0, 0x1234, 1, b"ping")),
          v4(8.02, WEB, LOCAL, 1, icmp4(0, 0, 0x1234, 1, b"ping")),
          v4(8.5, LO, LO, 1, icmp4(8, 0, 0x2222, 1, b"ping")),        # loopback: the kernel answers
          v4(8.5001, LO, LO, 1, icmp4(0, 0, 0x2222, 1, b"ping")),
          v6(9.0, LO6, LO6, 58, icmp6(LO6, LO6, 128, 0, 0x3333, 1, b"ping")),
          v6(9.0001, LO6, LO6, 58, icmp6(LO6, LO6, 129, 0, 0x3333, 1, b"ping"))]
    # Loopback UDP between two python3 processes.
    p += [udp4(12.0, LO, 45000, LO, 9999, b"request"),
          udp4(12.001, LO, 9999, LO, 45000, b"response")]
    # RST to a closed local port: the kernel's.
    c = TcpConnection(LO, 40010, LO, 9)
    p += [seg(14.0, c, 0, SYN), seg(14.0001, c, 1, RST | ACK)]
    # Port unreachable from a remote host (not ours to label) and from the local kernel.
    probe = ipv4(LOCAL, WEB, 17, udp(LOCAL, WEB, 45001, 33434, b"probe"))
    p += [(15.0, eth(probe)),
          v4(15.03, WEB, LOCAL, 1, icmp4(3, 3, 0, 0, probe[:28]))]
    probe_lo = ipv4(LO, LO, 17, udp(LO, LO, 45002, 7, b"echo?"))
    p += [(16.0, eth(probe_lo)),
          v4(16.0001, LO, LO, 1, icmp4(3, 3, 0, 0, probe_lo))]
    # A remote host's RST is not called kernel: nobody watched that host.
    c = TcpConnection(LOCAL, 40020, WEB, 81)
    p += [seg(17.0, c, 0, SYN), seg(17.05, c, 1, RST | ACK)]
    # IP-in-IP: the inner tuple is the socket's.
    inner = ipv4("172.16.0.1", "172.16.0.2", 6, tcp("172.16.0.1", "172.16.0.2", 41000, 22, SYN))
    p += [v4(18.0, LOCAL, "192.0.2.77", 4, inner)]
    # After the collector stopped (100 s): no kernel label, no owner.
    c = TcpConnection(LO, 40030, LO, 9)
    p += [seg(200.0, c, 0, SYN),
          seg(200.0001, c, 1, RST | ACK),
          v4(200.0002, LO, LO, 1, icmp4(0, 0, 0x2222, 2, b"ping"))]
    # Not IP: no process fields at all.
    p += [(201.0, arp_request("10.0.0.1", "10.0.0.2"))]
    return sorted(p, key=lambda tp: tp[0])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    # Whole microseconds: T0 + t as a float would lose digits.
    write_pcap(sys.argv[1], [(T0 * 1_000_000 + round(t * 1_000_000), frame) for t, frame in packets()])


if __name__ == "__main__":
    main()
