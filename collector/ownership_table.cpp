#include "ownership_table.hpp"

namespace sockowner {

bool OwnershipTable::same_socket(const SocketRecord& a, const SocketRecord& b) {
    return a.proto == b.proto && a.family == b.family && a.local == b.local && a.remote == b.remote;
}

void OwnershipTable::offer_adoption(std::vector<OpenInterval> open) { adoptable_ = std::move(open); }

std::size_t OwnershipTable::close_unadopted(TimeNs when) {
    for (auto& o : adoptable_) writer_->close_socket(o.id, std::max(when, o.socket.opened));
    std::size_t n = adoptable_.size();
    adoptable_.clear();
    return n;
}

JournalWriter::SocketId OwnershipTable::open_interval(const SocketRecord& s, const ProcessInfo& owner) {
    for (auto it = adoptable_.begin(); it != adoptable_.end(); ++it) {
        if (same_socket(it->socket, s) && it->owner == ProcessKey{owner.pid, owner.start_ticks}) {
            auto id = it->id;
            adoptable_.erase(it);
            return id;
        }
    }
    ++opened_total_;
    return writer_->open_socket(s, owner);
}

bool OwnershipTable::observe(std::uint64_t ident, const SocketRecord& s, const ProcessInfo& owner) {
    auto it = live_.find(ident);
    if (it != live_.end()) {
        Live& l = it->second;
        if (same_socket(l.s, s) && l.owner.pid == owner.pid && l.owner.start_ticks == owner.start_ticks) return false;
        writer_->close_socket(l.id, std::max(s.opened, l.s.opened));
        l = Live{open_interval(s, owner), s, owner};
        return true;
    }
    live_.emplace(ident, Live{open_interval(s, owner), s, owner});
    return true;
}

void OwnershipTable::reassign(std::uint64_t ident, const ProcessInfo& owner) {
    auto it = live_.find(ident);
    if (it == live_.end()) return;
    Live& l = it->second;
    if (l.owner.pid == owner.pid && l.owner.start_ticks == owner.start_ticks) return;
    l.owner = owner;
    writer_->set_owner(l.id, owner);
}

void OwnershipTable::close(std::uint64_t ident, TimeNs when) {
    auto it = live_.find(ident);
    if (it == live_.end()) return;
    writer_->close_socket(it->second.id, std::max(when, it->second.s.opened));
    live_.erase(it);
}

std::size_t OwnershipTable::close_missing(const std::unordered_set<std::uint64_t>& seen, TimeNs when) {
    return close_missing(seen, when, [](std::uint64_t, const SocketRecord&) { return true; });
}

std::size_t OwnershipTable::close_missing(const std::unordered_set<std::uint64_t>& seen, TimeNs when,
                                          const std::function<bool(std::uint64_t, const SocketRecord&)>& in_view) {
    std::size_t n = 0;
    for (auto it = live_.begin(); it != live_.end();) {
        if (seen.count(it->first) || !in_view(it->first, it->second.s)) {
            ++it;
            continue;
        }
        writer_->close_socket(it->second.id, std::max(when, it->second.s.opened));
        it = live_.erase(it);
        ++n;
    }
    return n;
}

void OwnershipTable::close_all(TimeNs when) {
    for (auto& [ident, l] : live_) writer_->close_socket(l.id, std::max(when, l.s.opened));
    close_unadopted(when);
    writer_->flush();
}

void OwnershipTable::reopen_in(JournalWriter& writer) {
    writer_ = &writer;
    for (auto& [ident, l] : live_) l.id = writer_->open_socket(l.s, l.owner);
}

const SocketRecord* OwnershipTable::socket(std::uint64_t ident) const {
    auto it = live_.find(ident);
    return it == live_.end() ? nullptr : &it->second.s;
}

}  // namespace sockowner
