#include "procfs_snapshot.hpp"

#include "procfs_parse.hpp"

#include <algorithm>
#include <cerrno>
#include <unordered_map>

namespace sockowner::procfs {

namespace {

// Start times of the processes that share a socket, read only for those.
class StartTimes {
public:
    explicit StartTimes(const Reader& proc) : proc_(proc) {}
    // True when `a` started after `b` (a later start, or the same tick and a higher pid).
    bool newer(std::int32_t a, std::int32_t b) {
        auto ta = of(a), tb = of(b);
        return ta != tb ? ta > tb : a > b;
    }

private:
    std::uint64_t of(std::int32_t pid) {
        auto [it, fresh] = ticks_.try_emplace(pid, 0);
        if (fresh)
            if (auto text = proc_.read_record(std::to_string(pid) + "/stat"))
                if (auto st = parse_stat(*text)) it->second = st->start_ticks;
        return it->second;
    }
    const Reader& proc_;
    std::unordered_map<std::int32_t, std::uint64_t> ticks_;
};

}  // namespace

InodeOwners scan_fd_tables(const Reader& proc, Snapshot& stats) {
    InodeOwners out;
    StartTimes starts(proc);
    std::unordered_set<std::uint64_t> mine;  // one process's socket inodes
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
        mine.clear();
        for (auto& fd : *fds) {
            auto link = proc.readlink(dir + "/fd/" + fd);
            if (!link) continue;
            auto ino = parse_inode_link(*link, "socket");
            if (!ino || !mine.insert(*ino).second) continue;  // dup()ed: one holder still
            SocketHolder& h = out.socket_owner[*ino];
            if (h.holders++ == 0 || starts.newer(pid, h.pid)) h.pid = pid;
        }
    }
    return out;
}

namespace {

struct TableEntry {
    const NetFile* file;
    NetEntry entry;
    std::uint64_t netns;
};

// Every socket with an inode in the tables of each namespace (`members`: namespace
// inode → a pid inside it) whose protocol `want` accepts. Counts the namespaces read.
template <class Want>
std::vector<TableEntry> read_tables(const Reader& proc, std::unordered_map<std::uint64_t, std::int32_t> members,
                                    Want want, Snapshot& snap) {
    // A host without readable ns links (old kernels, fixtures) still has its own tables.
    if (members.empty()) members.emplace(0, -1);
    std::vector<TableEntry> out;
    for (auto [netns, pid] : members) {
        const std::string base = pid < 0 ? std::string("net/") : std::to_string(pid) + "/net/";
        bool any = false;
        for (const NetFile& f : kNetFiles) {
            if (!want(f.proto)) continue;
            auto text = proc.read(base + f.name);
            if (!text) continue;
            any = true;
            for (NetEntry& e : parse_net(*text)) {
                // A TCP socket bound but neither listening nor connected owns no packet:
                // the kernel answers a SYN to its port (an RST), not its process.
                if (e.inode == 0 || (f.proto == Proto::tcp && e.state == kTcpClose)) continue;
                out.push_back({&f, std::move(e), netns});
            }
        }
        if (any) ++snap.namespaces;
    }
    return out;
}

void join_owners(const std::vector<TableEntry>& entries, const InodeOwners& owners, Snapshot& snap) {
    for (const TableEntry& t : entries) {
        auto it = owners.socket_owner.find(t.entry.inode);
        if (it == owners.socket_owner.end()) {
            ++snap.unowned_sockets;
            continue;
        }
        bool listening = t.file->proto == Proto::tcp && t.entry.state == kTcpListen;
        snap.sockets.push_back({t.file->proto, t.file->family, t.entry.local, t.entry.remote, t.entry.inode, t.netns,
                                it->second.pid, listening, it->second.holders > 1});
    }
}

}  // namespace

Snapshot take_snapshot(const Reader& proc) {
    Snapshot snap;
    InodeOwners owners = scan_fd_tables(proc, snap);
    join_owners(read_tables(proc, owners.netns_member, [](Proto) { return true; }, snap), owners, snap);
    return snap;
}

std::unordered_map<std::uint64_t, std::int32_t> netns_members(const Reader& proc,
                                                             std::unordered_set<std::int32_t>* pids) {
    std::unordered_map<std::uint64_t, std::int32_t> members;
    for (int pid : proc.pids()) {
        if (pids) pids->insert(pid);
        if (auto ns = proc.readlink(std::to_string(pid) + "/ns/net"))
            if (auto ino = parse_inode_link(*ns, "net")) members.try_emplace(*ino, pid);
    }
    return members;
}

Snapshot take_snapshot_of(const Reader& proc, std::initializer_list<Proto> protos,
                          const std::function<bool(const OwnedSocket&)>& known,
                          const std::unordered_map<std::uint64_t, std::int32_t>* given) {
    Snapshot snap;
    auto members = given ? *given : netns_members(proc, &snap.pids);
    auto want = [&](Proto p) { return std::find(protos.begin(), protos.end(), p) != protos.end(); };
    std::vector<TableEntry> unknown;
    for (TableEntry& t : read_tables(proc, std::move(members), want, snap)) {
        OwnedSocket s{t.file->proto, t.file->family, t.entry.local, t.entry.remote, t.entry.inode, t.netns, 0, false};
        if (known(s)) snap.sockets.push_back(s);
        else unknown.push_back(std::move(t));
    }
    if (unknown.empty()) return snap;
    Snapshot fd_stats;
    InodeOwners owners = scan_fd_tables(proc, fd_stats);
    snap.hidden_processes = fd_stats.hidden_processes;
    join_owners(unknown, owners, snap);
    return snap;
}

}  // namespace sockowner::procfs
