// Loads and stores of the integers in a capture file, in a section's byte order.
// memcpy, not casts: file data has no alignment.
#pragma once

#include "capture_types.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace sockowner::capture {

inline constexpr ByteOrder kHostOrder = std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;

inline std::uint16_t load16(ByteOrder o, const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return o == kHostOrder ? v : __builtin_bswap16(v);
}
inline std::uint32_t load32(ByteOrder o, const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return o == kHostOrder ? v : __builtin_bswap32(v);
}
inline std::uint64_t load64(ByteOrder o, const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return o == kHostOrder ? v : __builtin_bswap64(v);
}
inline void store16(ByteOrder o, std::uint8_t* p, std::uint16_t v) {
    if (o != kHostOrder) v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
}
inline void store32(ByteOrder o, std::uint8_t* p, std::uint32_t v) {
    if (o != kHostOrder) v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}
inline void store64(ByteOrder o, std::uint8_t* p, std::uint64_t v) {
    if (o != kHostOrder) v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

// Bytes of padding after n bytes to the next multiple of 4.
constexpr std::size_t pad4(std::size_t n) { return (4 - n % 4) % 4; }

}  // namespace sockowner::capture
