// Live sockets and their owners, as the collector believes them now, kept in step
// with the journal: a new socket opens an interval, a vanished one closes it, a
// socket whose tuple or owner changes closes one interval and opens the next.
// Sockets are keyed by their stable identity (socket_ident.hpp).
#pragma once

#include "types.hpp"
#include "writer.hpp"

#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sockowner {

class OwnershipTable {
public:
    explicit OwnershipTable(JournalWriter& writer) : writer_(&writer) {}

    // Intervals an earlier run left open: the first observe/close/reassign of the same
    // socket identity continues them (and ends them where the tuple or owner differs);
    // close_unadopted() ends the others. O(1) per socket.
    void offer_adoption(std::vector<OpenInterval> open);
    std::size_t close_unadopted(TimeNs when);

    // A socket (identified by `ident`) is held by `owner` from s.opened on. Returns true
    // when this opened a new interval.
    bool observe(std::uint64_t ident, const SocketRecord& s, const ProcessInfo& owner);
    // The socket is still there as it was: continues what the earlier run left open.
    void keep(std::uint64_t ident) { adopt(ident); }
    // accept(): the socket's current interval (opened with the listener's owner)
    // becomes `owner`'s from its start, rather than being split.
    void reassign(std::uint64_t ident, const ProcessInfo& owner);
    void close(std::uint64_t ident, TimeNs when);
    // Closes every socket not in `seen` (a full procfs view); returns how many.
    std::size_t close_missing(const std::unordered_set<std::uint64_t>& seen, TimeNs when);
    // The same, limited to the sockets `in_view` says the view covers.
    std::size_t close_missing(const std::unordered_set<std::uint64_t>& seen, TimeNs when,
                              const std::function<bool(std::uint64_t ident, const SocketRecord&)>& in_view);

    void process_exited(const ProcessKey& key, TimeNs when) { writer_->process_exited(key, when); }

    // Reopening the journal (SIGHUP after a rotation): close_all() ends every interval
    // in the old file, reopen_in() starts the live ones again in the new file.
    void close_all(TimeNs when);
    void reopen_in(JournalWriter& writer);

    // What is known of a socket, live or left open by the earlier run.
    struct Known {
        const SocketRecord& s;
        const ProcessInfo& owner;
    };
    std::optional<Known> find(std::uint64_t ident) const;
    bool contains(std::uint64_t ident) const { return live_.count(ident) || adoptable_.count(ident); }
    void for_each(const std::function<void(std::uint64_t ident, const SocketRecord&)>& fn) const {
        for (const auto& [ident, live] : live_) fn(ident, live.s);
    }
    std::size_t size() const { return live_.size(); }
    std::uint64_t opened_total() const { return opened_total_; }
    std::uint64_t adopted_total() const { return adopted_total_; }

private:
    struct Live {
        JournalWriter::SocketId id;
        SocketRecord s;
        ProcessInfo owner;
    };
    static bool same_socket(const SocketRecord& a, const SocketRecord& b);
    // The same process and program image; an image procfs could not tell (0) is any.
    static bool same_owner(const ProcessInfo& a, const ProcessInfo& b) {
        return a.pid == b.pid && a.start_ticks == b.start_ticks &&
               (a.image == b.image || a.image == 0 || b.image == 0);
    }
    // Moves an interval the earlier run left open for `ident` into the live table.
    void adopt(std::uint64_t ident);

    JournalWriter* writer_;
    std::unordered_map<std::uint64_t, Live> live_;
    std::unordered_map<std::uint64_t, Live> adoptable_;
    std::uint64_t opened_total_ = 0, adopted_total_ = 0;
};

}  // namespace sockowner
