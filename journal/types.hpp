// Value types shared by the journal, the collector and the plugin.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sockowner {

// Wall-clock nanoseconds since the Unix epoch (pcap timestamps are wall-clock).
using TimeNs = std::int64_t;

enum class Proto : std::uint8_t { tcp, udp, icmp, icmpv6, raw };

std::string_view proto_name(Proto p);
std::optional<Proto> parse_proto(std::string_view s);

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
// normalised to IPv4 on construction: on the wire they are IPv4 packets.
class IpAddr {
public:
    IpAddr() = default;  // 0.0.0.0
    static IpAddr v4(std::uint32_t network_order) {
        IpAddr a;
        std::memcpy(a.bytes_.data(), &network_order, 4);
        return a;
    }
    static IpAddr v6(const std::uint8_t bytes[16]);
    static std::optional<IpAddr> parse(std::string_view text);

    int family() const { return family_; }  // 4 or 6
    bool is_unspecified() const {  // 0.0.0.0 or ::  (per packet: two words, not 16 bytes)
        std::uint64_t w[2];
        std::memcpy(w, bytes_.data(), 16);
        return (w[0] | w[1]) == 0;
    }
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    std::string to_string() const;

    friend bool operator==(const IpAddr&, const IpAddr&) = default;

private:
    int family_ = 4;
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4 bytes
};

struct Endpoint {
    IpAddr addr;
    std::uint16_t port = 0;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "1.2.3.4:80" or "[::1]:80"; a bare IPv6 address without brackets is ambiguous and rejected.
std::optional<Endpoint> parse_endpoint(std::string_view text);
std::string format_endpoint(const Endpoint& e);

// A process as identified on one host boot: pid + start time (pids are reused).
struct ProcessInfo {
    std::int32_t pid = 0;
    std::uint64_t start_ticks = 0;  // clock ticks after boot, as in /proc/PID/stat
    // Which program image of the process: the kernel's exec count (eBPF), so that a
    // process that exec()s another program is another owner; 0 where unknown (procfs).
    std::uint32_t image = 0;
    TimeNs start_time = 0;          // the same instant as wall-clock ns
    std::int32_t ppid = 0;
    std::uint32_t uid = 0, gid = 0;
    std::string user, comm, exe, cmdline, cgroup, container;
};

struct ProcessKey {
    std::int32_t pid = 0;
    std::uint64_t start_ticks = 0;
    std::uint32_t image = 0;
    friend bool operator==(const ProcessKey&, const ProcessKey&) = default;
    static ProcessKey of(const ProcessInfo& p) { return {p.pid, p.start_ticks, p.image}; }
    // The same process (whatever the image).
    bool same_process(const ProcessKey& o) const { return pid == o.pid && start_ticks == o.start_ticks; }
};

struct ProcessKeyHash {
    std::size_t operator()(const ProcessKey& k) const noexcept {
        return std::hash<std::uint64_t>{}((k.start_ticks * 0x9E3779B97F4A7C15ull ^ std::uint32_t(k.pid)) +
                                          (std::uint64_t(k.image) << 40));
    }
};

// One ownership interval: this socket belonged to this process from opened to closed.
struct SocketRecord {
    Proto proto = Proto::tcp;
    int family = 4;  // the socket's family; its addresses may be IPv4 on a dual-stack socket
    Endpoint local, remote;  // remote 0.0.0.0:0 / [::]:0 = not connected
    std::uint64_t netns = 0, cookie = 0;
    std::uint64_t inode = 0;  // 0: unknown (sockets known only from eBPF events)
    std::string source;  // "ebpf", "iterator", "procfs"; "-shared" appended where
                         // several processes held the socket and one was chosen
    TimeNs opened = 0;
    std::optional<TimeNs> closed;
};

}  // namespace sockowner
