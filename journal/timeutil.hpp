// Clocks and the text forms of times, durations and sizes used on the command line.
#pragma once

#include "types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sockowner {

inline constexpr TimeNs kNsPerMs = 1'000'000;
inline constexpr TimeNs kNsPerSec = 1'000'000'000;

TimeNs wall_now();
TimeNs boot_now();  // CLOCK_BOOTTIME, the clock of bpf_ktime_get_boot_ns()
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
