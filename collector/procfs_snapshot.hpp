// One look at every socket on the host and the process that holds it, through /proc,
// across every network namespace that some process uses.
#pragma once

#include "procfs_reader.hpp"
#include "types.hpp"

#include <functional>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sockowner::procfs {

struct OwnedSocket {
    Proto proto;
    int family;
    Endpoint local, remote;
    std::uint64_t inode, netns;
    std::int32_t pid;
    bool listening;
    bool shared = false;  // several processes held it; `pid` is the one chosen (see SocketHolder)
};

struct Snapshot {
    std::vector<OwnedSocket> sockets;
    std::unordered_set<std::int32_t> pids;  // every process seen
    std::size_t namespaces = 0;
    std::size_t hidden_processes = 0;  // whose fd table we may not read (not root)
    std::size_t unowned_sockets = 0;   // in /proc/net but in no fd table we could read
};

Snapshot take_snapshot(const Reader& proc);

// Every network namespace some process uses: namespace inode → a pid inside it.
// Fills `pids` with every process seen.
std::unordered_map<std::uint64_t, std::int32_t> netns_members(const Reader& proc,
                                                             std::unordered_set<std::int32_t>* pids = nullptr);

// The same for the listed protocols only (e.g. the ICMP and raw sockets that the BPF
// iterators do not cover). Sockets `known` says the caller already has come back with
// pid 0; the fd tables, the costly part, are read only when some other socket exists.
// `members`: the namespaces netns_members() gave the caller just before (one walk of
// /proc serves both); nullptr: walked here.
Snapshot take_snapshot_of(const Reader& proc, std::initializer_list<Proto> protos,
                          const std::function<bool(const OwnedSocket&)>& known,
                          const std::unordered_map<std::uint64_t, std::int32_t>* members = nullptr);

// The process that owns a socket in /proc's view. Several processes may hold one
// socket (a forked child, a pre-fork server's workers, systemd and the service it
// passed a listener to): the one that started last is chosen, the rule that names a
// forked or exec'd server rather than the parent that handed it the socket.
struct SocketHolder {
    std::int32_t pid = 0;
    std::uint32_t holders = 0;  // processes holding the socket
};

// Only the fd-table half of a snapshot: socket inode → its holder, and network
// namespace inode → a pid inside it. Fills pids and hidden_processes of `stats`.
struct InodeOwners {
    std::unordered_map<std::uint64_t, SocketHolder> socket_owner;
    std::unordered_map<std::uint64_t, std::int32_t> netns_member;
};
InodeOwners scan_fd_tables(const Reader& proc, Snapshot& stats);

}  // namespace sockowner::procfs
