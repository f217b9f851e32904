// An interface's clock: its timestamps are ticks of 10^-n or 2^-n seconds (if_tsresol)
// since the epoch plus if_tsoffset seconds. Converts them to wall-clock nanoseconds.
#pragma once

#include "capture_types.hpp"

#include <cstdint>
#include <span>

namespace sockowner::capture {

class TimeBase {
public:
    // if_tsresol as the option holds it: 10^-v s, or 2^-(v & 0x7f) s when the high
    // bit is set. The default, 6, is what an IDB without the option means (µs).
    static constexpr std::uint8_t kMicroseconds = 6;
    static constexpr std::uint8_t kNanoseconds = 9;
    explicit TimeBase(std::uint8_t tsresol = kMicroseconds, std::int64_t offset_s = 0);

    // Exact for resolutions up to 1 ns; finer ones round down. Saturates at the
    // int64 range (a u64 of ns ticks or a huge if_tsoffset does not fit).
    std::int64_t to_ns(std::uint64_t ticks) const;

    std::uint8_t tsresol() const { return tsresol_; }
    std::int64_t offset_s() const { return offset_s_; }

private:
    std::uint8_t tsresol_;
    std::int64_t offset_s_;
    // ns = (ticks * mul_ >> shift_) / div_ + offset_ns_; all three exact in 128 bits.
    std::uint64_t mul_ = 1, div_ = 1;
    unsigned shift_ = 0;
    __int128 offset_ns_ = 0;
};

// The clock of an IDB with these options (section byte order): its first if_tsresol
// and if_tsoffset; options of the wrong length are ignored.
TimeBase idb_time_base(ByteOrder order, std::span<const std::uint8_t> options);

}  // namespace sockowner::capture
