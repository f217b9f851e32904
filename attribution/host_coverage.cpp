#include "host_coverage.hpp"

#include <algorithm>
#include <cstring>

namespace sockowner::attribution {

bool is_loopback(const IpAddr& a) {
    const auto& b = a.bytes();
    if (a.family() == 4) return b[0] == 127;
    return std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
}

std::size_t HostCoverage::HostAddrHash::operator()(const HostAddr& k) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, k.bytes.data(), 8);
    std::memcpy(&b, k.bytes.data() + 8, 8);
    std::uint64_t h = (a ^ std::uint64_t(k.host_id) << 8 ^ k.family) * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9ull;
    return std::size_t(h ^ (h >> 32));
}

void HostCoverage::set_runs(const std::vector<RunRow>& runs) {
    runs_.clear();
    for (const RunRow& r : runs) runs_.push_back({r.host_id, r.started, r.stopped.value_or(INT64_MAX)});
}

void HostCoverage::add_address(std::int64_t host_id, const IpAddr& addr) {
    if (addr.is_unspecified() || is_loopback(addr)) return;
    HostAddr k{addr.bytes(), host_id, std::uint8_t(addr.family())};
    if (last_added_ && *last_added_ == k) return;
    addresses_.insert(k);
    last_added_ = k;
}

bool HostCoverage::running(std::int64_t host_id, TimeNs at) const {
    return std::any_of(runs_.begin(), runs_.end(), [&](const Span& s) {
        return (host_id == 0 || s.host_id == host_id) && at >= s.started && at <= s.stopped;
    });
}

bool HostCoverage::watched(const IpAddr& addr, TimeNs at) const {
    if (is_loopback(addr)) return running(0, at);
    // Runs are few: try the hosts whose collector ran then.
    HostAddr k{addr.bytes(), 0, std::uint8_t(addr.family())};
    return std::any_of(runs_.begin(), runs_.end(), [&](const Span& s) {
        if (at < s.started || at > s.stopped) return false;
        k.host_id = s.host_id;
        return addresses_.count(k) > 0;
    });
}

}  // namespace sockowner::attribution
