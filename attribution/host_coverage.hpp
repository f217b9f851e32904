// Which hosts a journal watched, and when: the condition for calling a packet
// kernel-generated instead of leaving its side unknown. A side is the kernel's only
// when its address belongs to a host whose collector was running at that time;
// loopback addresses belong to every host.
#pragma once

#include "reader.hpp"

#include <array>
#include <optional>
#include <unordered_set>
#include <vector>

namespace sockowner::attribution {

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
    std::size_t addresses() const { return addresses_.size(); }

private:
    // An address of a host: the family, the address bytes, the host id.
    struct HostAddr {
        std::array<std::uint8_t, 16> bytes;
        std::int64_t host_id;
        std::uint8_t family;
        friend bool operator==(const HostAddr&, const HostAddr&) = default;
    };
    struct HostAddrHash {
        std::size_t operator()(const HostAddr& k) const noexcept;
    };
    struct Span {
        std::int64_t host_id;
        TimeNs started, stopped;  // stopped INT64_MAX while running
    };

    std::vector<Span> runs_;
    // A journal's sockets mostly share a few local addresses: remember the last one added.
    std::unordered_set<HostAddr, HostAddrHash> addresses_;
    std::optional<HostAddr> last_added_;
};

bool is_loopback(const IpAddr& a);

}  // namespace sockowner::attribution
