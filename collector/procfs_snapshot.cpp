#include "procfs_snapshot.hpp"

#include "procfs_parse.hpp"

#include <cerrno>
#include <unordered_map>

namespace sockowner::procfs {

InodeOwners scan_fd_tables(const Reader& proc, Snapshot& stats) {
    InodeOwners out;
    for (int pid : proc.pids()) {
        const std::string dir = std::to_string(pid);
        stats.pids.insert(pid);
        if (auto ns = proc.readlink(dir + "/ns/net"))
            if (auto ino = parse_inode_link(*ns, "net")) out.netns_member.try_emplace(*ino, pid);
        auto fds = proc.list(dir + "/fd");
        if (!fds) {
            if (errno == EACCES) ++stats.hidden_processes;
            continue;
        }
        for (auto& fd : *fds) {
            auto link = proc.readlink(dir + "/fd/" + fd);
            if (!link) continue;
            if (auto ino = parse_inode_link(*link, "socket")) out.socket_owner.try_emplace(*ino, pid);
        }
    }
    return out;
}

Snapshot take_snapshot(const Reader& proc) {
    Snapshot snap;
    InodeOwners owners = scan_fd_tables(proc, snap);
    auto& owner_of_inode = owners.socket_owner;
    auto& netns_reader = owners.netns_member;
    // A host without readable ns links (old kernels, fixtures) still has its own tables.
    if (netns_reader.empty()) netns_reader.emplace(0, -1);

    for (auto [netns, pid] : netns_reader) {
        const std::string base = pid < 0 ? std::string("net/") : std::to_string(pid) + "/net/";
        bool any = false;
        for (const NetFile& f : kNetFiles) {
            auto text = proc.read(base + f.name);
            if (!text) continue;
            any = true;
            for (const NetEntry& e : parse_net(*text)) {
                if (e.inode == 0) continue;
                auto it = owner_of_inode.find(e.inode);
                if (it == owner_of_inode.end()) {
                    ++snap.unowned_sockets;
                    continue;
                }
                bool listening = f.proto == Proto::tcp && e.state == kTcpListen;
                snap.sockets.push_back({f.proto, f.family, e.local, e.remote, e.inode, netns, it->second, listening});
            }
        }
        if (any) ++snap.namespaces;
    }
    return snap;
}

}  // namespace sockowner::procfs
