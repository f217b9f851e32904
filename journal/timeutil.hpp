// Clocks and the text forms of times, durations and sizes used on the command line.
#pragma once

#include "types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockowner {

inline constexpr TimeNs kNsPerMs = 1'000'000;
inline constexpr TimeNs kNsPerSec = 1'000'000'000;

// Times from files (journals, captures) may be anything: held within ±2^62 ns (the
// years 1824 to 2116), sums and differences with any slack stay far from overflow.
inline constexpr TimeNs kTimeLimit = TimeNs(1) << 62;
constexpr TimeNs clamp_time(TimeNs t) { return t < -kTimeLimit ? -kTimeLimit : t > kTimeLimit ? kTimeLimit : t; }
// |a - b| and a + b that saturate instead of overflowing, for times whose origin is
// not known to be clamped.
inline TimeNs time_distance(TimeNs a, TimeNs b) {
    TimeNs d;
    return __builtin_sub_overflow(a, b, &d) || d == INT64_MIN ? INT64_MAX : d < 0 ? -d : d;
}
inline TimeNs time_add(TimeNs t, TimeNs d) {
    TimeNs r;
    return __builtin_add_overflow(t, d, &r) ? (d > 0 ? INT64_MAX : INT64_MIN) : r;
}

TimeNs wall_now();
TimeNs boot_now();  // CLOCK_BOOTTIME, the clock of bpf_ktime_get_boot_ns()
TimeNs monotonic_now();  // CLOCK_MONOTONIC: for intervals, whatever the wall clock does
// Wall-clock time of the boot-clock origin; add a boot-clock reading to get wall time.
TimeNs boot_to_wall_offset();

// 2026-11-25T12:57:24.123456789Z
std::string format_time(TimeNs t);
// Accepts RFC 3339 ("2026-11-25T12:57:24Z", fraction and ±hh:mm optional, a space
// instead of T), Unix seconds with an optional fraction ("1764075444.5"), "now",
// and "now-5m" / "-5m" relative to `now`.
std::optional<TimeNs> parse_time(std::string_view text, TimeNs now);
// "500ms", "30s", "5m", "2h", "7d"; a bare number is seconds.
std::optional<TimeNs> parse_duration(std::string_view text);
// "1048576", "512K", "100M", "2G" (powers of 1024).
std::optional<std::int64_t> parse_size(std::string_view text);

}  // namespace sockowner
