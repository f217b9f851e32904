#!/usr/bin/env python3
"""Malformed captures for tshark with the plugin: mutations of a classic pcap.

    mutate_capture.py IN.pcap OUT_DIR COUNT SEED

writes OUT_DIR/mut-SEED-N.pcap (N < COUNT), each with one to three mutations of IN's
packets (bytes changed in the headers the plugin reads, truncation, absurd timestamps,
reordering and duplicates, random packets, extra tunnel headers, ICMP errors quoting
garbage), and OUT_DIR/extreme-N.pcapng: timestamps in seconds (if_tsresol 0) near
2^63 and offsets (if_tsoffset) that push pcap's wall clock past what TimeNs holds."""
import random
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xA1B2C3D4, "little-endian microsecond pcap expected"
    linktype, = struct.unpack("<I", data[20:24])
    packets, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        packets.append([sec, usec, bytearray(data[off + 16:off + 16 + incl]), orig])
        off += 16 + incl
    return linktype, packets


def write_pcap(path, linktype, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for sec, usec, data, _ in packets:
            f.write(struct.pack("<IIII", sec & 0xFFFFFFFF, usec & 0xFFFFFFFF, len(data), len(data)) + bytes(data))


def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def write_pcapng(path, linktype, packets, tsresol, tsoffset, ticks):
    opts = struct.pack("<HHB3x", 9, 1, tsresol)  # if_tsresol
    opts += struct.pack("<HHq", 14, 8, tsoffset)  # if_tsoffset, seconds
    opts += struct.pack("<HH", 0, 0)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535) + opts)
    for (_, _, data, _), t in zip(packets, ticks):
        out += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(data), len(data)) + bytes(data))
    open(path, "wb").write(out)


def flip(rng, packets):
    for p in rng.sample(packets, min(len(packets), rng.randint(1, 8))):
        for _ in range(rng.randint(1, 6)):
            if p[2]:
                # Mostly the IP and transport headers (Ethernet is 14 bytes).
                i = min(len(p[2]) - 1, rng.choice([rng.randint(14, 80), rng.randrange(len(p[2]))]))
                p[2][i] = rng.choice([0, 0xFF, rng.randrange(256), p[2][i] ^ (1 << rng.randrange(8))])


def truncate(rng, packets):
    for p in rng.sample(packets, min(len(packets), rng.randint(1, 8))):
        del p[2][rng.randrange(len(p[2]) + 1):]


def timestamps(rng, packets):
    for p in rng.sample(packets, min(len(packets), rng.randint(1, len(packets)))):
        p[0] = rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32), p[0] + rng.randint(-100, 100)])
        p[1] = rng.choice([0, 999999, 1000000, 0xFFFFFFFF, rng.randrange(1 << 32)])


def reorder(rng, packets):
    extra = [list(p[:2]) + [bytearray(p[2]), p[3]] for p in rng.choices(packets, k=rng.randint(1, 10))]
    packets.extend(extra)
    rng.shuffle(packets)


def garbage(rng, packets):
    for _ in range(rng.randint(1, 8)):
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 120)))
        head = rng.choice([b"", bytes(12) + b"\x08\x00\x45\x00", bytes(12) + b"\x86\xdd\x60\x00", bytes(12) + b"\x08\x00"])
        packets.insert(rng.randrange(len(packets) + 1), [packets[0][0], 0, bytearray(head + body), 0])


def ipv4_header(proto, payload, src, dst):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


def tunnel(rng, packets):
    for p in rng.sample(packets, min(len(packets), rng.randint(1, 8))):
        eth, ip = p[2][:14], p[2][14:]
        if not ip:
            continue
        v6 = ip[0] >> 4 == 6
        src = dst = bytes([10, 0, 0, rng.choice([1, 2])]) if rng.random() < 0.5 else bytes([192, 0, 2, 1])
        p[2] = bytearray(eth[:12] + b"\x08\x00" + ipv4_header(41 if v6 else 4, bytes(ip), src, dst))


def icmp_errors(rng, packets):
    for p in rng.sample(packets, min(len(packets), rng.randint(1, 4))):
        ip = bytes(p[2][14:])
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        quoted = ip[:rng.randint(0, 48)] if rng.random() < 0.7 else bytes(rng.randrange(256) for _ in range(40))
        icmp = struct.pack("!BBHI", rng.choice([3, 11, 12, 5, 4]), rng.randrange(16), 0, 0) + quoted
        p[2] = bytearray(p[2][:14] + ipv4_header(1, icmp, ip[16:20], ip[12:16]))


MUTATIONS = [flip, truncate, timestamps, reorder, garbage, tunnel, icmp_errors]


def main():
    src, out, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    linktype, original = read_pcap(src)
    for n in range(count):
        rng = random.Random(seed * 1000 + n)
        packets = [list(p[:2]) + [bytearray(p[2]), p[3]] for p in original]
        for m in rng.sample(MUTATIONS, rng.randint(1, 3)):
            m(rng, packets)
        write_pcap("%s/mut-%d-%d.pcap" % (out, seed, n), linktype, packets)
    # Wall clock beyond TimeNs (int64 ns, the years 1677 to 2262), in both directions.
    k = len(original)
    write_pcapng(out + "/extreme-0.pcapng", linktype, original, 0, 0, [(1 << 63) - 1 - i for i in range(k)])
    write_pcapng(out + "/extreme-1.pcapng", linktype, original, 0, -(1 << 62), [i for i in range(k)])
    write_pcapng(out + "/extreme-2.pcapng", linktype, original, 6, 1 << 40, [i * 1000 for i in range(k)])


if __name__ == "__main__":
    main()
