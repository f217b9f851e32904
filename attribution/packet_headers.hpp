// Reads what packet_info lacks from a frame's bytes: TCP flags, the ICMP type and echo
// identifier, and the header an ICMP error quotes. The IP header to read is the one
// carrying the addresses the dissectors left in packet_info: the innermost one of a
// tunnel, and for an ICMP error the ICMP packet's own (not the quoted one).
#pragma once

#include "types.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace sockowner::attribution {

inline constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

// What the dissectors left in packet_info: network addresses, and ports when the
// transport has them (for an ICMP error, those of the quoted packet).
struct PinfoTuple {
    IpAddr src, dst;
    std::optional<Proto> ported;  // tcp or udp
    std::uint16_t srcport = 0, dstport = 0;
};

enum class IcmpKind : std::uint8_t { none, echo_request, echo_reply, error, other };

// One transport header.
struct Transport {
    Proto proto = Proto::tcp;
    Endpoint src, dst;                // ICMP: ports 0
    std::uint8_t tcp_flags = 0;       // 0 when unknown
    IcmpKind icmp = IcmpKind::none;   // for icmp and icmpv6
    std::uint16_t echo_id = 0;        // echo request or reply: the identifier
};

struct PacketTuple {
    Transport own;
    std::optional<Transport> quoted;  // an ICMP error's offending packet
};

// nullopt when the frame has no TCP, UDP or ICMP over IP with pinfo's addresses. When
// the header cannot be found in the bytes (a later fragment), pinfo's ports are used.
std::optional<PacketTuple> packet_tuple(std::span<const std::uint8_t> frame, const PinfoTuple& pinfo);

// The same from the bytes alone, for frames no dissector has seen (sockowner annotate):
// `ip` starts at an IPv4 or IPv6 header; the addresses are the innermost IP-in-IP
// header's, the ports those of its TCP or UDP header.
std::optional<PacketTuple> ip_packet_tuple(std::span<const std::uint8_t> ip);

}  // namespace sockowner::attribution
