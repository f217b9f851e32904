"""Builds Ethernet/IP/TCP/UDP/ICMP frames and writes classic pcap files, with the
standard library only. Shared by the fixture capture and the benchmark capture."""
import ipaddress
import struct

T0 = 1767225600  # 2026-01-01T00:00:00Z, as in plugin_journal_gen
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def addr(text):
    return ipaddress.ip_address(text).packed


def pseudo_header(src, dst, proto, length):
    if ":" in src:
        return addr(src) + addr(dst) + struct.pack("!IxxxB", length, proto)
    return addr(src) + addr(dst) + struct.pack("!xBH", proto, length)


def with_checksum(segment, offset, src, dst, proto):
    c = checksum(pseudo_header(src, dst, proto, len(segment)) + segment)
    return segment[:offset] + struct.pack("!H", c) + segment[offset + 2:]


def tcp(src, dst, sport, dport, flags, data=b"", seq=1000, ack=0):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    return with_checksum(seg, 16, src, dst, 6)


class TcpConnection:
    """Keeps sequence numbers, so that Wireshark sees a well-formed conversation."""

    def __init__(self, client, cport, server, sport, isn=(1000, 5000)):
        self.ends = ((client, cport), (server, sport))
        self.next_seq = list(isn)  # initial sequence numbers: client's, server's

    def segment(self, from_server, flags, data=b""):
        d = int(from_server)
        (src, sport), (dst, dport) = self.ends[d], self.ends[1 - d]
        ack = self.next_seq[1 - d] if flags & ACK else 0
        seg = tcp(src, dst, sport, dport, flags, data, self.next_seq[d], ack)
        self.next_seq[d] += len(data) + (1 if flags & (SYN | FIN) else 0)
        return src, dst, seg


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return with_checksum(seg, 6, src, dst, 17)


def icmp4(icmp_type, code, ident, seq, data):
    msg = struct.pack("!BBHHH", icmp_type, code, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]


def icmp6(src, dst, icmp_type, code, ident, seq, data):
    msg = struct.pack("!BBHHH", icmp_type, code, 0, ident, seq) + data
    return with_checksum(msg, 2, src, dst, 58)


def ipv4(src, dst, proto, payload, ident=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    addr(src), addr(dst))
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload


def ipv6(src, dst, nxt, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nxt, 64, addr(src), addr(dst)) + payload


def eth(payload, ethertype=0x0800):
    return b"\0" * 12 + struct.pack("!H", ethertype) + payload


def arp_request(sender, target):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02" * 6, addr(sender), b"\0" * 6, addr(target))
    return b"\xff" * 6 + b"\x02" * 6 + struct.pack("!H", 0x0806) + body


def write_pcap(path, records):
    """records: (microseconds since the epoch, frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for us, frame in records:
            f.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(frame), len(frame)))
            f.write(frame)
