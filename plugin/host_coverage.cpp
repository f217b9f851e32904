#include "host_coverage.hpp"

#include <algorithm>

namespace sockowner::plugin {

bool is_loopback(const IpAddr& a) {
    const auto& b = a.bytes();
    if (a.family() == 4) return b[0] == 127;
    return std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
}

std::size_t HostCoverage::AddrKeyHash::operator()(const AddrKey& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (auto b : k) h = (h ^ b) * 1099511628211ull;
    return std::size_t(h);
}

HostCoverage::AddrKey HostCoverage::key(const IpAddr& a) {
    AddrKey k{};
    k[0] = std::uint8_t(a.family());
    std::copy(a.bytes().begin(), a.bytes().end(), k.begin() + 1);
    return k;
}

void HostCoverage::set_runs(const std::vector<RunRow>& runs) {
    runs_.clear();
    for (const RunRow& r : runs) runs_.push_back({r.host_id, r.started, r.stopped.value_or(INT64_MAX)});
}

void HostCoverage::add_address(std::int64_t host_id, const IpAddr& addr) {
    if (addr.is_unspecified() || is_loopback(addr)) return;
    auto& hosts = hosts_by_addr_[key(addr)];
    if (std::find(hosts.begin(), hosts.end(), host_id) == hosts.end()) hosts.push_back(host_id);
}

bool HostCoverage::running(std::int64_t host_id, TimeNs at) const {
    return std::any_of(runs_.begin(), runs_.end(), [&](const Span& s) {
        return (host_id == 0 || s.host_id == host_id) && at >= s.started && at <= s.stopped;
    });
}

bool HostCoverage::watched(const IpAddr& addr, TimeNs at) const {
    if (is_loopback(addr)) return running(0, at);
    auto it = hosts_by_addr_.find(key(addr));
    if (it == hosts_by_addr_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](std::int64_t h) { return running(h, at); });
}

}  // namespace sockowner::plugin
