#include "packet_headers.hpp"

#include <cstring>

namespace sockowner::attribution {

namespace {

constexpr std::size_t kEthernetHeader = 14;
constexpr std::uint8_t kIpProtoIcmp = 1, kIpProtoIpip = 4, kIpProtoTcp = 6, kIpProtoUdp = 17,
                       kIpProtoIpv6 = 41, kIpProtoIcmpv6 = 58;

using Bytes = std::span<const std::uint8_t>;

std::uint16_t be16(Bytes b, std::size_t off) { return std::uint16_t(b[off] << 8 | b[off + 1]); }

// An IP header and where its transport header starts.
struct IpHeader {
    IpAddr src, dst;
    std::uint8_t next = 0;     // transport protocol number
    std::size_t l4 = 0;        // offset of the transport header
    bool has_l4 = false;       // false for a fragment after the first
};

IpAddr addr_at(Bytes b, std::size_t off, int family) {
    if (family == 4) {
        std::uint32_t v;
        std::memcpy(&v, b.data() + off, 4);
        return IpAddr::v4(v);
    }
    return IpAddr::v6(b.data() + off);
}

// Parses the IP header at `off` into h; false when the bytes there are not one. (Out
// parameters, here and below: these run for every packet, and optional's copies of
// the addresses cost more than the parsing.)
bool parse_ip(Bytes b, std::size_t off, IpHeader& h) {
    if (off >= b.size()) return false;
    int version = b[off] >> 4;
    if (version == 4) {
        std::size_t ihl = std::size_t(b[off] & 0x0f) * 4;
        if (ihl < 20 || off + ihl > b.size()) return false;
        h.src = addr_at(b, off + 12, 4);
        h.dst = addr_at(b, off + 16, 4);
        h.next = b[off + 9];
        h.l4 = off + ihl;
        h.has_l4 = (be16(b, off + 6) & 0x1fff) == 0;
        return true;
    }
    if (version != 6 || off + 40 > b.size()) return false;
    h.src = addr_at(b, off + 8, 6);
    h.dst = addr_at(b, off + 24, 6);
    std::uint8_t next = b[off + 6];
    std::size_t pos = off + 40;
    h.has_l4 = true;
    // Extension headers before the transport: hop-by-hop, routing, fragment, destination options, AH.
    for (int i = 0; i < 8; ++i) {
        if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51) break;
        if (pos + 8 > b.size()) return false;
        std::size_t len = next == 44 ? 8 : next == 51 ? (std::size_t(b[pos + 1]) + 2) * 4 : (std::size_t(b[pos + 1]) + 1) * 8;
        if (next == 44 && (be16(b, pos + 2) & 0xfff8) != 0) h.has_l4 = false;
        next = b[pos];
        pos += len;
    }
    h.next = next;
    h.l4 = pos;
    return true;
}

bool same_addresses(Bytes b, std::size_t off, const PinfoTuple& p) {
    int family = p.src.family();
    if (p.dst.family() != family) return false;
    if (family == 4) {
        if (off + 20 > b.size() || b[off] >> 4 != 4) return false;
        return std::memcmp(b.data() + off + 12, p.src.bytes().data(), 4) == 0 &&
               std::memcmp(b.data() + off + 16, p.dst.bytes().data(), 4) == 0;
    }
    if (off + 40 > b.size() || b[off] >> 4 != 6) return false;
    // IPv4-mapped addresses were normalised to IPv4, so a match here is a real IPv6 header.
    return std::memcmp(b.data() + off + 8, p.src.bytes().data(), 16) == 0 &&
           std::memcmp(b.data() + off + 24, p.dst.bytes().data(), 16) == 0;
}

IcmpKind icmp_kind(bool v6, std::uint8_t type) {
    if (v6) {
        if (type == 128) return IcmpKind::echo_request;
        if (type == 129) return IcmpKind::echo_reply;
        if (type >= 1 && type <= 4) return IcmpKind::error;  // unreachable, too big, time exceeded, parameter
        return IcmpKind::other;
    }
    if (type == 8) return IcmpKind::echo_request;
    if (type == 0) return IcmpKind::echo_reply;
    // unreachable, source quench, redirect, time exceeded, parameter problem
    if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) return IcmpKind::error;
    return IcmpKind::other;
}

// The transport header after `ip` into t: TCP/UDP ports and flags, ICMP type and echo
// id. ICMP errors quote only 8 bytes past the IP header: enough for all of these.
bool parse_transport(Bytes b, const IpHeader& ip, Transport& t) {
    if (!ip.has_l4) return false;
    t = Transport{};
    t.src = {ip.src, 0};
    t.dst = {ip.dst, 0};
    std::size_t l4 = ip.l4;
    switch (ip.next) {
        case kIpProtoTcp:
        case kIpProtoUdp:
            if (l4 + 4 > b.size()) return false;
            t.proto = ip.next == kIpProtoTcp ? Proto::tcp : Proto::udp;
            t.src.port = be16(b, l4);
            t.dst.port = be16(b, l4 + 2);
            if (t.proto == Proto::tcp && l4 + 14 <= b.size()) t.tcp_flags = b[l4 + 13];
            return true;
        case kIpProtoIcmp:
        case kIpProtoIcmpv6: {
            if (l4 + 8 > b.size()) return false;
            bool v6 = ip.next == kIpProtoIcmpv6;
            t.proto = v6 ? Proto::icmpv6 : Proto::icmp;
            t.icmp = icmp_kind(v6, b[l4]);
            if (t.icmp == IcmpKind::echo_request || t.icmp == IcmpKind::echo_reply) t.echo_id = be16(b, l4 + 4);
            return true;
        }
        default: return false;
    }
}

// The tuple of the packet whose (innermost) IP header is `ip`, into out: its transport,
// and for an ICMP error the transport of the packet it quotes.
bool tuple_of(Bytes b, const IpHeader& ip, PacketTuple& out) {
    out.quoted.reset();
    Transport& t = out.own;
    if (!parse_transport(b, ip, t)) return false;
    if ((t.proto == Proto::icmp || t.proto == Proto::icmpv6) && t.icmp == IcmpKind::error) {
        // The offending packet's IP header follows the 8-byte ICMP header.
        IpHeader q;
        Transport qt;
        if (parse_ip(b, ip.l4 + 8, q) && parse_transport(b, q, qt)) out.quoted = qt;
    }
    return true;
}

}  // namespace

std::optional<PacketTuple> packet_tuple(std::span<const std::uint8_t> frame, const PinfoTuple& pinfo) {
    // The header with pinfo's addresses is the first one at or after the link layer,
    // except in IP-in-IP with equal inner and outer addresses: then keep looking.
    // Only where the source address's first word is at its place in an IP header: a
    // load and a compare per offset (a link-layer header is 14 bytes or more).
    const std::size_t src_at = pinfo.src.family() == 4 ? 12 : 8;
    std::uint32_t first;
    std::memcpy(&first, pinfo.src.bytes().data(), 4);
    PacketTuple t;
    auto header_at = [&](std::size_t off) {
        std::uint32_t word;
        std::memcpy(&word, frame.data() + off + src_at, 4);
        if (word != first || !same_addresses(frame, off, pinfo)) return false;
        IpHeader ip;
        if (!parse_ip(frame, off, ip) || ip.next == kIpProtoIpip || ip.next == kIpProtoIpv6) return false;
        if (!tuple_of(frame, ip, t)) return false;  // a later fragment, or another transport: pinfo's ports, if any
        const Transport& own = t.own;
        return !((own.proto == Proto::tcp || own.proto == Proto::udp) && pinfo.ported &&
                 (own.proto != *pinfo.ported || own.src.port != pinfo.srcport || own.dst.port != pinfo.dstport));
    };
    // Where Ethernet's header ends first (most captures: one try instead of a scan of
    // the link layer); then from the frame's start.
    if (kEthernetHeader + src_at + 8 <= frame.size() && header_at(kEthernetHeader)) return t;
    for (std::size_t off = 0; off + src_at + 4 <= frame.size(); ++off)
        if (header_at(off)) return t;
    if (!pinfo.ported) return std::nullopt;
    t = PacketTuple{};
    t.own.proto = *pinfo.ported;
    t.own.src = {pinfo.src, pinfo.srcport};
    t.own.dst = {pinfo.dst, pinfo.dstport};
    return t;
}

std::optional<PacketTuple> ip_packet_tuple(std::span<const std::uint8_t> ip) {
    IpHeader h;
    if (!parse_ip(ip, 0, h)) return std::nullopt;
    // Tunnels nest a few deep at most; a crafted frame may nest without end.
    for (int depth = 0; h.has_l4 && (h.next == kIpProtoIpip || h.next == kIpProtoIpv6) && depth < 8; ++depth) {
        IpHeader inner;
        if (!parse_ip(ip, h.l4, inner)) break;
        h = inner;
    }
    PacketTuple t;
    if (!tuple_of(ip, h, t)) return std::nullopt;  // a later fragment, another transport
    return t;
}

}  // namespace sockowner::attribution
