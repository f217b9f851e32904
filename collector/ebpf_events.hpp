// Decoding what the kernel programs send (bpf/sockowner_abi.h) into collector types.
// Pure functions over bytes: tested without root and without a kernel.
#pragma once

#include "types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sockowner::ebpf {

// The owning process as the kernel saw it.
struct KOwner {
    std::int32_t tgid = 0, ppid = 0;
    std::uint32_t uid = 0, gid = 0;
    std::uint32_t exec_id = 0;  // the process's exec count: its program image
    std::uint64_t start_ns = 0;  // boot clock
    std::uint64_t cgroup_id = 0;
    std::string comm;
};

struct KTuple {
    Proto proto = Proto::tcp;
    int family = 4;
    Endpoint local, remote;
};

struct SocketEvent {
    bool accept = false;     // SO_EV_ACCEPT: the accepting process
    bool inherited = false;  // owner copied from the listener
    std::uint64_t ts = 0, sk = 0, cookie = 0, netns = 0;
    std::uint64_t since = 0;  // boot ns where a new owner's interval begins (0: at ts)
    KTuple tuple;
    KOwner owner;
};
struct CloseEvent {
    std::uint64_t ts = 0, sk = 0, cookie = 0;
};
struct ExecEvent {
    std::uint64_t ts = 0;
    KOwner owner;
    std::string path, cmdline;
};
struct ExitEvent {
    std::uint64_t ts = 0, start_ns = 0;
    std::int32_t tgid = 0;
};
using Event = std::variant<SocketEvent, CloseEvent, ExecEvent, ExitEvent>;

// nullopt for a record too short for its type, of an unknown type, or of a socket
// kind sockowner does not track.
std::optional<Event> decode_event(const void* data, std::size_t size);

struct IterRecord {
    std::uint64_t sk = 0, cookie = 0, inode = 0, netns = 0;
    KTuple tuple;
    std::optional<KOwner> owner;
    bool inherited = false;  // the owner is the listener's, copied into an accepted socket
};
// The output of one pass of the iter/tcp or iter/udp program.
std::vector<IterRecord> decode_iter_records(std::string_view bytes);

// socket(family, type, protocol) → the protocol sockowner records it under.
std::optional<Proto> classify(int protocol, int sock_type);

// /proc/PID/stat's start time unit: ns of boot clock → clock ticks.
std::uint64_t ns_to_ticks(std::uint64_t ns);

}  // namespace sockowner::ebpf
