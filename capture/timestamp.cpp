#include "timestamp.hpp"

#include "byte_order.hpp"
#include "pcapng_options.hpp"

#include <cstdint>
#include <limits>

namespace sockowner::capture {

namespace {

constexpr std::uint64_t pow10(unsigned n) {
    std::uint64_t v = 1;
    while (n--) v *= 10;
    return v;
}

constexpr __int128 kNsPerSec = 1'000'000'000;

std::int64_t saturate(__int128 v) {
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    return v < lo ? lo : v > hi ? hi : std::int64_t(v);
}

}  // namespace

TimeBase::TimeBase(std::uint8_t tsresol, std::int64_t offset_s) : tsresol_(tsresol), offset_s_(offset_s) {
    if (tsresol & 0x80) {
        // 2^-k s: ticks * 10^9 / 2^k. ticks < 2^64 and 10^9 < 2^30, so the product
        // fits in 94 bits and k <= 127 is a valid shift.
        mul_ = 1'000'000'000;
        shift_ = tsresol & 0x7f;
    } else if (tsresol <= 9) {
        mul_ = pow10(9 - tsresol);
    } else if (tsresol - 9 <= 19) {
        div_ = pow10(tsresol - 9);  // 10^19 is the largest power of 10 in a u64
    } else {
        mul_ = 0;  // finer than 10^-28 s: every u64 tick count is under 1 ns
    }
    offset_ns_ = __int128(offset_s) * kNsPerSec;
}

std::int64_t TimeBase::to_ns(std::uint64_t ticks) const {
    unsigned __int128 v = (static_cast<unsigned __int128>(ticks) * mul_) >> shift_;
    v /= div_;
    return saturate(__int128(v) + offset_ns_);
}

TimeBase idb_time_base(ByteOrder order, std::span<const std::uint8_t> options) {
    std::uint8_t tsresol = TimeBase::kMicroseconds;
    std::int64_t offset = 0;
    bool have_resol = false, have_offset = false;
    OptionReader r(order, options);
    Option o;
    while (r.next(o)) {
        if (o.code == kOptIfTsresol && o.value.size() == 1 && !have_resol) {
            tsresol = o.value[0];
            have_resol = true;
        } else if (o.code == kOptIfTsoffset && o.value.size() == 8 && !have_offset) {
            offset = std::int64_t(load64(order, o.value.data()));
            have_offset = true;
        }
    }
    return TimeBase(tsresol, offset);
}

}  // namespace sockowner::capture
