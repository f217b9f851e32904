#include "timeutil.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace sockowner {

namespace {

TimeNs clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return TimeNs(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

bool take_uint(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + digits, out);
    if (ec != std::errc{} || end != s.data() + digits) return false;
    s.remove_prefix(digits);
    return true;
}

bool take_char(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// Digits after a decimal point, as nanoseconds (extra digits beyond 9 are ignored).
bool take_fraction(std::string_view& s, TimeNs& ns) {
    ns = 0;
    if (!take_char(s, '.')) return true;
    TimeNs scale = kNsPerSec / 10;
    std::size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
        ns += (s[n] - '0') * scale;
        scale /= 10;
        ++n;
    }
    s.remove_prefix(n);
    return n > 0;
}

std::optional<TimeNs> parse_rfc3339(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (!take_uint(s, 4, y) || !take_char(s, '-') || !take_uint(s, 2, mo) || !take_char(s, '-') ||
        !take_uint(s, 2, d))
        return std::nullopt;
    if (!take_char(s, 'T') && !take_char(s, ' ') && !take_char(s, 't')) return std::nullopt;
    if (!take_uint(s, 2, h) || !take_char(s, ':') || !take_uint(s, 2, mi) || !take_char(s, ':') ||
        !take_uint(s, 2, sec))
        return std::nullopt;
    TimeNs frac;
    if (!take_fraction(s, frac)) return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    TimeNs offset = 0;
    bool local = false;
    if (take_char(s, 'Z') || take_char(s, 'z')) {
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        int sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
        int oh, om;
        if (!take_uint(s, 2, oh) || !take_char(s, ':') || !take_uint(s, 2, om)) return std::nullopt;
        offset = sign * (TimeNs(oh) * 3600 + om * 60) * kNsPerSec;
    } else {
        local = true;  // no zone: the machine's local time, as `date` prints it
    }
    if (!s.empty()) return std::nullopt;
    std::time_t secs;
    if (local) {
        tm.tm_isdst = -1;
        secs = std::mktime(&tm);
    } else {
        secs = timegm(&tm);
    }
    return TimeNs(secs) * kNsPerSec + frac - offset;
}

}  // namespace

TimeNs wall_now() { return clock_ns(CLOCK_REALTIME); }
TimeNs boot_now() { return clock_ns(CLOCK_BOOTTIME); }
TimeNs monotonic_now() { return clock_ns(CLOCK_MONOTONIC); }

TimeNs boot_to_wall_offset() {
    // Bracket the boot-clock read with two wall-clock reads and keep the tightest pair.
    TimeNs best_gap = INT64_MAX, offset = 0;
    for (int i = 0; i < 5; ++i) {
        TimeNs w1 = wall_now(), b = boot_now(), w2 = wall_now();
        if (w2 - w1 < best_gap) {
            best_gap = w2 - w1;
            offset = w1 + (w2 - w1) / 2 - b;
        }
    }
    return offset;
}

std::string format_time(TimeNs t) {
    std::time_t secs = t / kNsPerSec;
    TimeNs ns = t % kNsPerSec;
    if (ns < 0) {
        ns += kNsPerSec;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns));
    return buf;
}

std::optional<TimeNs> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || value < 0) return std::nullopt;
    std::string_view unit(end, std::size_t(text.data() + text.size() - end));
    double scale;
    if (unit.empty() || unit == "s")
        scale = 1e9;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "m" || unit == "min")
        scale = 60e9;
    else if (unit == "h")
        scale = 3600e9;
    else if (unit == "d")
        scale = 86400e9;
    else
        return std::nullopt;
    if (value * scale > 9e18) return std::nullopt;
    return TimeNs(value * scale);
}

std::optional<std::int64_t> parse_size(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || value < 0) return std::nullopt;
    std::string_view unit(end, std::size_t(text.data() + text.size() - end));
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() == 2) unit.remove_suffix(1);
    int shift;
    if (unit.empty() || unit == "B" || unit == "b")
        shift = 0;
    else if (unit == "K" || unit == "k")
        shift = 10;
    else if (unit == "M" || unit == "m")
        shift = 20;
    else if (unit == "G" || unit == "g")
        shift = 30;
    else if (unit == "T" || unit == "t")
        shift = 40;
    else
        return std::nullopt;
    if (value > (INT64_MAX >> shift)) return std::nullopt;
    return value << shift;
}

std::optional<TimeNs> parse_time(std::string_view text, TimeNs now) {
    if (text == "now") return now;
    if (text.starts_with("now-")) text.remove_prefix(3);
    if (!text.empty() && text.front() == '-') {
        auto d = parse_duration(text.substr(1));
        if (!d) return std::nullopt;
        return now - *d;
    }
    if (auto t = parse_rfc3339(text)) return t;
    // Unix seconds, optionally with a fraction.
    std::string_view s = text;
    std::int64_t secs = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
    if (ec != std::errc{} || secs < 0 || secs > 9'000'000'000) return std::nullopt;
    s.remove_prefix(std::size_t(end - s.data()));
    TimeNs frac;
    if (!take_fraction(s, frac) || !s.empty()) return std::nullopt;
    return secs * kNsPerSec + frac;
}

}  // namespace sockowner
