// Who is behind one end of a packet: the plugin's answer for its source and destination.
#pragma once

#include <cstdint>
#include <string_view>

namespace sockowner::attribution {

enum class How : std::uint8_t {
    unknown,       // no socket known, or no collector watched that host at that time
    exact,         // the socket with the packet's local and remote endpoints
    local,         // an unconnected socket on the local endpoint (listener, UDP)
    wildcard,      // a socket bound to the any-address on that port
    conversation,  // the flow's earlier packets had this owner (a FIN after close)
    kernel,        // the kernel itself (RST to a closed port, ICMP errors, echo replies)
    annotation,    // another tool's comment in the capture named the process (ptcpdump)
};
std::string_view how_name(How h);

struct SideOwner {
    How how = How::unknown;
    std::int64_t socket_id = 0, process_id = 0;  // when a socket's process
    // Which journal those row ids are of (JournalFollower::epoch()): a row id means
    // another socket or process in a rotated or another journal. 0: the current one.
    std::uint64_t journal = 0;
    // How the collector learnt of the socket: its number among the journal's few
    // sources (JournalFollower::source()), 0 for none.
    std::uint8_t source = 0;

    bool known() const { return how != How::unknown; }
    bool is_kernel() const { return how == How::kernel; }
    bool is_process() const { return known() && !is_kernel(); }
    friend bool operator==(const SideOwner&, const SideOwner&) = default;
};

struct FrameOwners {
    SideOwner src, dst;
};

}  // namespace sockowner::attribution
