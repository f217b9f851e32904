#include "link_layer.hpp"

namespace sockowner::capture {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;

std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }

// The IP packet at `at`, if there is one of the version the link header announced
// (0: either, for RAW).
std::optional<std::span<const std::uint8_t>> ip_at(std::span<const std::uint8_t> frame, std::size_t at, int version) {
    if (frame.size() <= at) return std::nullopt;
    const int v = frame[at] >> 4;
    if (v != 4 && v != 6) return std::nullopt;
    if (version && v != version) return std::nullopt;
    return frame.subspan(at);
}

std::optional<std::span<const std::uint8_t>> by_ethertype(std::span<const std::uint8_t> frame, std::size_t at,
                                                          std::uint16_t type) {
    if (type == kEtherIpv4) return ip_at(frame, at, 4);
    if (type == kEtherIpv6) return ip_at(frame, at, 6);
    return std::nullopt;
}

std::optional<std::span<const std::uint8_t>> ethernet(std::span<const std::uint8_t> frame) {
    std::size_t at = 12;  // destination and source addresses
    // VLAN tags, however many (each 4 bytes: TPID, TCI); the loop ends because every
    // tag moves `at` forward within the frame.
    while (at + 2 <= frame.size()) {
        const std::uint16_t type = be16(frame.data() + at);
        if (type == 0x8100 || type == 0x88A8 || type == 0x9100) {
            at += 4;
            continue;
        }
        return by_ethertype(frame, at + 2, type);
    }
    return std::nullopt;
}

// NULL and LOOP: a u32 address family, host order (NULL, of the capturing host,
// which may not be this one) or network order (LOOP).
std::optional<std::span<const std::uint8_t>> loopback(std::span<const std::uint8_t> frame) {
    if (frame.size() < 4) return std::nullopt;
    const std::uint32_t le = frame[0] | frame[1] << 8 | std::uint32_t(frame[2]) << 16 | std::uint32_t(frame[3]) << 24;
    const std::uint32_t be = __builtin_bswap32(le);
    for (std::uint32_t af : {le, be}) {
        if (af == 2) return ip_at(frame, 4, 4);
        if (af == 24 || af == 28 || af == 30) return ip_at(frame, 4, 6);
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::span<const std::uint8_t>> network_layer(std::uint16_t linktype, std::span<const std::uint8_t> frame) {
    switch (linktype) {
        case kLinkEthernet: return ethernet(frame);
        case kLinkNull:
        case kLinkLoop: return loopback(frame);
        case kLinkRaw:
        case kLinkRawOpenBsd:
        case kLinkRawBsdOs: return ip_at(frame, 0, 0);
        case kLinkIpv4: return ip_at(frame, 0, 4);
        case kLinkIpv6: return ip_at(frame, 0, 6);
        case kLinkLinuxSll:
            if (frame.size() < 16) return std::nullopt;
            return by_ethertype(frame, 16, be16(frame.data() + 14));
        case kLinkLinuxSll2:
            if (frame.size() < 20) return std::nullopt;
            return by_ethertype(frame, 20, be16(frame.data()));
        default: return std::nullopt;
    }
}

}  // namespace sockowner::capture
