// Live sockets and their owners, as the collector believes them now, kept in step
// with the journal: a new socket opens an interval, a vanished one closes it, a
// socket whose tuple or owner changes closes one interval and opens the next.
#pragma once

#include "types.hpp"
#include "writer.hpp"

#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sockowner {

class OwnershipTable {
public:
    explicit OwnershipTable(JournalWriter& writer) : writer_(&writer) {}

    // Intervals an earlier run left open: reused when the same socket and owner are
    // observed again (see observe), closed by close_unadopted() otherwise.
    void offer_adoption(std::vector<OpenInterval> open);
    std::size_t close_unadopted(TimeNs when);

    // A socket (identified by `ident`: socket cookie or inode) is held by `owner`.
    // Returns true when this opened a new interval.
    bool observe(std::uint64_t ident, const SocketRecord& s, const ProcessInfo& owner);
    // The socket was handed to another process, e.g. accept() in a pre-fork worker:
    // the current interval is re-attributed rather than split.
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

    bool contains(std::uint64_t ident) const { return live_.count(ident) != 0; }
    const SocketRecord* socket(std::uint64_t ident) const;
    void for_each(const std::function<void(std::uint64_t ident, const SocketRecord&)>& fn) const {
        for (const auto& [ident, live] : live_) fn(ident, live.s);
    }
    std::size_t size() const { return live_.size(); }
    std::uint64_t opened_total() const { return opened_total_; }

private:
    struct Live {
        JournalWriter::SocketId id;
        SocketRecord s;
        ProcessInfo owner;
    };
    static bool same_socket(const SocketRecord& a, const SocketRecord& b);
    JournalWriter::SocketId open_interval(const SocketRecord& s, const ProcessInfo& owner);

    JournalWriter* writer_;
    std::unordered_map<std::uint64_t, Live> live_;
    std::vector<OpenInterval> adoptable_;
    std::uint64_t opened_total_ = 0;
};

}  // namespace sockowner
