#include "procfs_source.hpp"

#include "socket_ident.hpp"

namespace sockowner {

void ProcfsSource::poll(TimeNs now, bool close_missing) {
    procfs::Snapshot snap = procfs::take_snapshot(proc_);
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(snap.sockets.size());
    for (const procfs::OwnedSocket& o : snap.sockets) {
        auto owner = cache_.get(o.pid);
        if (!owner) continue;  // exited since the fd scan: gone by the next look
        std::uint64_t ident = inode_ident(o.inode);
        seen.insert(ident);
        // observe() changes nothing for a socket already known with this tuple and owner.
        // A new socket appeared after the last look and after its process started.
        TimeNs opened = std::min(now, last_poll_ ? std::max(last_poll_, owner->start_time) : owner->start_time);
        SocketRecord s{o.proto, o.family, o.local, o.remote, o.netns, 0, o.inode,
                       o.shared ? "procfs-shared" : "procfs", opened, std::nullopt};
        if (table_.observe(ident, s, *owner)) ++stats_.opened;
    }
    if (close_missing) stats_.closed += table_.close_missing(seen, now);
    for (const ProcessKey& k : cache_.sweep(snap.pids)) table_.process_exited(k, now);

    ++stats_.polls;
    stats_.sockets = seen.size();
    stats_.hidden_processes = snap.hidden_processes;
    stats_.unowned_sockets = snap.unowned_sockets;
    stats_.namespaces = snap.namespaces;
    last_poll_ = now;
}

void ProcfsSource::report(JournalWriter& w) const {
    w.set_counter("procfs.polls", std::int64_t(stats_.polls));
    w.set_counter("procfs.sockets", std::int64_t(stats_.sockets));
    w.set_counter("procfs.hidden_processes", std::int64_t(stats_.hidden_processes));
    w.set_counter("procfs.unowned_sockets", std::int64_t(stats_.unowned_sockets));
    w.set_counter("procfs.namespaces", std::int64_t(stats_.namespaces));
    w.set_counter("procfs.opened", std::int64_t(stats_.opened));
    w.set_counter("procfs.closed", std::int64_t(stats_.closed));
    w.set_counter("cache.hits", std::int64_t(cache_.stats().hits));
    w.set_counter("cache.misses", std::int64_t(cache_.stats().misses));
    w.set_counter("cache.failures", std::int64_t(cache_.stats().failures));
}

}  // namespace sockowner
