// Builds frames byte by byte for the header-location tests: Ethernet, IPv4/IPv6,
// TCP, UDP, ICMP. Checksums are left zero: the plugin does not read them.
#pragma once

#include "types.hpp"

#include <cstdint>
#include <vector>

namespace sockowner::test {

using Frame = std::vector<std::uint8_t>;

inline void put16(Frame& f, std::uint16_t v) {
    f.push_back(std::uint8_t(v >> 8));
    f.push_back(std::uint8_t(v));
}

inline void put_addr(Frame& f, const IpAddr& a) {
    f.insert(f.end(), a.bytes().begin(), a.bytes().begin() + (a.family() == 4 ? 4 : 16));
}

inline Frame tcp_header(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
    Frame f;
    put16(f, sport);
    put16(f, dport);
    f.insert(f.end(), 8, 0);  // seq, ack
    f.push_back(5 << 4);
    f.push_back(flags);
    put16(f, 65535);
    f.insert(f.end(), 4, 0);  // checksum, urgent
    return f;
}

inline Frame udp_header(std::uint16_t sport, std::uint16_t dport) {
    Frame f;
    put16(f, sport);
    put16(f, dport);
    put16(f, 8);
    put16(f, 0);
    return f;
}

inline Frame icmp_header(std::uint8_t type, std::uint8_t code, std::uint16_t id, const Frame& body = {}) {
    Frame f{type, code, 0, 0};
    put16(f, id);
    put16(f, 1);
    f.insert(f.end(), body.begin(), body.end());
    return f;
}

// frag_offset in 8-byte units; options adds that many 4-byte words of IPv4 options.
inline Frame ipv4(const char* src, const char* dst, std::uint8_t proto, const Frame& payload,
                  std::uint16_t frag_offset = 0, int options = 0) {
    Frame f{std::uint8_t(0x40 | (5 + options)), 0};
    put16(f, std::uint16_t(20 + 4 * options + payload.size()));
    put16(f, 1);
    put16(f, frag_offset);
    f.push_back(64);
    f.push_back(proto);
    put16(f, 0);
    put_addr(f, *IpAddr::parse(src));
    put_addr(f, *IpAddr::parse(dst));
    f.insert(f.end(), std::size_t(4 * options), 1);  // NOP options
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

// hop_by_hop puts an 8-byte hop-by-hop options header before the payload.
inline Frame ipv6(const char* src, const char* dst, std::uint8_t next, const Frame& payload, bool hop_by_hop = false) {
    Frame f{0x60, 0, 0, 0};
    put16(f, std::uint16_t(payload.size() + (hop_by_hop ? 8 : 0)));
    f.push_back(hop_by_hop ? 0 : next);
    f.push_back(64);
    put_addr(f, *IpAddr::parse(src));
    put_addr(f, *IpAddr::parse(dst));
    if (hop_by_hop) f.insert(f.end(), {next, 0, 1, 4, 0, 0, 0, 0});  // PadN
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

inline Frame ethernet(const Frame& ip) {
    Frame f(12, 0);
    put16(f, (ip[0] >> 4) == 6 ? 0x86DD : 0x0800);
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
}

}  // namespace sockowner::test
