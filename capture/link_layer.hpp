// Where the IP header starts inside a captured frame, for the link types captures of
// a Linux or BSD host carry. The command uses it to find each packet's addresses and
// ports.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace sockowner::capture {

// LINKTYPE_ values handled.
inline constexpr std::uint16_t kLinkNull = 0;        // BSD loopback: host-order u32 address family
inline constexpr std::uint16_t kLinkEthernet = 1;
inline constexpr std::uint16_t kLinkRawOpenBsd = 12;  // DLT_RAW as some platforms number it
inline constexpr std::uint16_t kLinkRawBsdOs = 14;
inline constexpr std::uint16_t kLinkRaw = 101;
inline constexpr std::uint16_t kLinkLoop = 108;  // OpenBSD loopback: network-order u32 address family
inline constexpr std::uint16_t kLinkLinuxSll = 113;
inline constexpr std::uint16_t kLinkIpv4 = 228;
inline constexpr std::uint16_t kLinkIpv6 = 229;
inline constexpr std::uint16_t kLinkLinuxSll2 = 276;

// The bytes from the IPv4 or IPv6 header on: Ethernet (with any number of 802.1Q,
// 802.1ad and 0x9100 VLAN tags), NULL and LOOP (AF_INET 2; AF_INET6 24, 28 or 30 as
// the BSDs number it; either byte order), RAW (also 12 and 14), IPV4, IPV6, LINUX_SLL
// and LINUX_SLL2. nullopt for other link types, non-IP frames, frames too short for
// their link header, and frames whose first byte after it is not IP version 4 or 6
// (the version nibble must agree with what the link header says).
std::optional<std::span<const std::uint8_t>> network_layer(std::uint16_t linktype, std::span<const std::uint8_t> frame);

}  // namespace sockowner::capture
