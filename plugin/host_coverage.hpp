// Which hosts a journal watched, and when: the condition for calling a packet
// kernel-generated instead of leaving its side unknown. A side is the kernel's only
// when its address belongs to a host whose collector was running at that time;
// loopback addresses belong to every host.
#pragma once

#include "reader.hpp"

#include <array>
#include <unordered_map>
#include <vector>

namespace sockowner::plugin {

class HostCoverage {
public:
    // The collector runs (replacing those known before: a run's stop time changes).
    void set_runs(const std::vector<RunRow>& runs);
    // `addr` is an address of host `host_id` (a socket was bound to it there).
    void add_address(std::int64_t host_id, const IpAddr& addr);

    // A collector was running at `at` on a host that has `addr`.
    bool watched(const IpAddr& addr, TimeNs at) const;
    // A collector of host `host_id` (any host when 0) was running at `at`.
    bool running(std::int64_t host_id, TimeNs at) const;
    std::size_t addresses() const { return hosts_by_addr_.size(); }

private:
    using AddrKey = std::array<std::uint8_t, 17>;  // family, then the address bytes
    struct AddrKeyHash {
        std::size_t operator()(const AddrKey& k) const noexcept;
    };
    struct Span {
        std::int64_t host_id;
        TimeNs started, stopped;  // stopped INT64_MAX while running
    };
    static AddrKey key(const IpAddr& a);

    std::vector<Span> runs_;
    std::unordered_map<AddrKey, std::vector<std::int64_t>, AddrKeyHash> hosts_by_addr_;
};

bool is_loopback(const IpAddr& a);

}  // namespace sockowner::plugin
