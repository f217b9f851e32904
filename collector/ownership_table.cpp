#include "ownership_table.hpp"

#include "socket_ident.hpp"

namespace sockowner {

bool OwnershipTable::same_socket(const SocketRecord& a, const SocketRecord& b) {
    return a.proto == b.proto && a.family == b.family && a.local == b.local && a.remote == b.remote;
}

void OwnershipTable::offer_adoption(std::vector<OpenInterval> open) {
    adoptable_.clear();
    adoptable_.reserve(open.size());
    for (auto& o : open) {
        std::uint64_t ident = socket_ident(o.socket.cookie, o.socket.inode);
        // Without an identity (rows of an older version) or seen twice, an interval
        // cannot be continued: it ends at start-up.
        if (!ident || adoptable_.count(ident)) {
            writer_->close_socket(o.id, o.socket.opened);
            continue;
        }
        adoptable_.emplace(ident, Live{o.id, std::move(o.socket), std::move(o.owner)});
    }
}

std::size_t OwnershipTable::close_unadopted(TimeNs when) {
    for (auto& [ident, l] : adoptable_) writer_->close_socket(l.id, std::max(when, l.s.opened));
    std::size_t n = adoptable_.size();
    adoptable_.clear();
    return n;
}

void OwnershipTable::adopt(std::uint64_t ident) {
    if (adoptable_.empty()) return;
    auto it = adoptable_.find(ident);
    if (it == adoptable_.end()) return;
    live_.emplace(ident, std::move(it->second));
    adoptable_.erase(it);
    ++adopted_total_;
}

bool OwnershipTable::observe(std::uint64_t ident, const SocketRecord& s, const ProcessInfo& owner) {
    adopt(ident);
    auto it = live_.find(ident);
    if (it != live_.end()) {
        Live& l = it->second;
        if (same_socket(l.s, s) && same_owner(l.owner, owner)) return false;
        SocketRecord next = s;
        next.opened = std::max(s.opened, l.s.opened);  // one owner at a time
        writer_->close_socket(l.id, next.opened);
        l = Live{writer_->open_socket(next, owner), std::move(next), owner};
        ++opened_total_;
        return true;
    }
    live_.emplace(ident, Live{writer_->open_socket(s, owner), s, owner});
    ++opened_total_;
    return true;
}

void OwnershipTable::reassign(std::uint64_t ident, const ProcessInfo& owner) {
    adopt(ident);
    auto it = live_.find(ident);
    if (it == live_.end()) return;
    Live& l = it->second;
    if (same_owner(l.owner, owner)) return;
    l.owner = owner;
    writer_->set_owner(l.id, owner);
}

void OwnershipTable::close(std::uint64_t ident, TimeNs when) {
    adopt(ident);
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
}

void OwnershipTable::reopen_in(JournalWriter& writer) {
    writer_ = &writer;
    for (auto& [ident, l] : live_) l.id = writer_->open_socket(l.s, l.owner);
}

std::optional<OwnershipTable::Known> OwnershipTable::find(std::uint64_t ident) const {
    auto it = live_.find(ident);
    if (it == live_.end()) {
        it = adoptable_.find(ident);
        if (it == adoptable_.end()) return std::nullopt;
    }
    return Known{it->second.s, it->second.owner};
}

}  // namespace sockowner
