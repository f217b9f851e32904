#include "owner_index.hpp"

#include <cstring>

namespace sockowner {

namespace {
// "Not connected" is one key whatever the family. The any-address keeps its family:
// 0.0.0.0 receives IPv4 only; [::] receives IPv6 and, on a dual-stack socket, IPv4
// (whose addresses the kernel shows v4-mapped, which IpAddr makes IPv4 again).
const Endpoint kNoRemote{};
const IpAddr kAny6 = *IpAddr::parse("::");
Endpoint any_address(int family, std::uint16_t port) { return Endpoint{family == 6 ? kAny6 : IpAddr(), port}; }
}  // namespace

std::string_view match_kind_name(MatchKind k) {
    switch (k) {
        case MatchKind::exact: return "exact";
        case MatchKind::local: return "local";
        case MatchKind::wildcard: return "wildcard";
    }
    return "?";
}

TupleKey OwnerIndex::make_key(Proto proto, const Endpoint& local, const Endpoint& remote) {
    bool no_remote = remote.addr.is_unspecified() && remote.port == 0;
    return TupleKey::of(proto, local, no_remote ? kNoRemote : remote);
}

void OwnerIndex::upsert(const SocketRow& row) {
    if (row.id <= 0) return;
    if (std::uint32_t at = by_id_.find(row.id); at != IdMap::kNone) {
        IndexedSocket& e = entries_[at];
        e.process_id = row.process_id;
        e.opened = row.s.opened;
        e.closed = row.s.closed.value_or(IndexedSocket::kStillOpen);
        return;
    }
    auto index = std::uint32_t(entries_.size());
    IndexedSocket e;
    e.id = row.id;
    e.process_id = row.process_id;
    e.opened = row.s.opened;
    e.closed = row.s.closed.value_or(IndexedSocket::kStillOpen);
    std::uint32_t& head = heads_.at(make_key(row.s.proto, row.s.local, row.s.remote));
    e.next = head;  // kNone for a new tuple
    head = index;
    entries_.push_back(e);
    by_id_.set(row.id, index);
}

void OwnerIndex::reserve(std::size_t sockets) {
    entries_.reserve(sockets);
    heads_.reserve(sockets);
    by_id_.reserve(sockets);
}

void OwnerIndex::clear() {
    entries_.clear();
    heads_.clear();
    by_id_.clear();
}

const IndexedSocket* OwnerIndex::best_in_chain(const TupleKey& k, TimeNs at, const MatchOptions& opt) const {
    std::uint32_t head = heads_.find(k);
    if (head == TupleTable::kNone) return nullptr;
    // Port and pid reuse: several intervals share a tuple. Prefer one that strictly
    // contains the time, the most recently opened; otherwise the nearest within slack.
    const IndexedSocket* best = nullptr;
    bool best_strict = false;
    TimeNs best_distance = INT64_MAX;
    for (std::uint32_t i = head; i != IndexedSocket::kNone; i = entries_[i].next) {
        const IndexedSocket& e = entries_[i];
        TimeNs until = e.closed == IndexedSocket::kStillOpen ? e.closed : e.closed + opt.grace;
        if (at < e.opened - opt.slack || at > until) continue;
        bool strict = at >= e.opened && at <= e.closed;
        TimeNs distance = strict ? at - e.opened : (at < e.opened ? e.opened - at : at - e.closed);
        if ((strict && !best_strict) || (strict == best_strict && distance < best_distance)) {
            best = &e;
            best_strict = strict;
            best_distance = distance;
        }
    }
    return best;
}

std::optional<OwnerMatch> OwnerIndex::find(const OwnerQuery& q, const MatchOptions& opt) const {
    // A packet's own family first; an IPv4 packet may also reach a dual-stack [::]
    // socket, an IPv6 packet never an IPv4 one.
    const int family = q.local.addr.family();
    const Endpoint any = any_address(family, q.local.port), any6 = any_address(6, q.local.port);
    const struct {
        const Endpoint& local;
        const Endpoint& remote;
        MatchKind kind;
    } probes[] = {
        {q.local, q.remote, MatchKind::exact},
        {q.local, kNoRemote, MatchKind::local},
        {any, q.remote, MatchKind::wildcard},
        {any, kNoRemote, MatchKind::wildcard},
        {any6, q.remote, MatchKind::wildcard},
        {any6, kNoRemote, MatchKind::wildcard},
    };
    const bool unconnected = q.remote.addr.is_unspecified() && q.remote.port == 0;
    for (std::size_t i = 0; i < std::size(probes); ++i) {
        if (i >= 4 && family == 6) break;  // the same probes as the two before
        if (unconnected && i % 2 == 0) continue;  // a query without a remote end asks for no connection
        const auto& p = probes[i];
        if (auto* s = best_in_chain(make_key(q.proto, p.local, p.remote), q.at, opt)) return OwnerMatch{s, p.kind};
    }
    return std::nullopt;
}

std::vector<OwnerMatch> OwnerIndex::find_all_unconnected(const OwnerQuery& q, const MatchOptions& opt) const {
    std::vector<OwnerMatch> strict, near;
    auto scan = [&](const Endpoint& local, MatchKind kind) {
        for (std::uint32_t i = heads_.find(make_key(q.proto, local, kNoRemote)); i != IndexedSocket::kNone;
             i = entries_[i].next) {
            const IndexedSocket& e = entries_[i];
            TimeNs until = e.closed == IndexedSocket::kStillOpen ? e.closed : e.closed + opt.grace;
            if (q.at < e.opened - opt.slack || q.at > until) continue;
            (q.at >= e.opened && q.at <= e.closed ? strict : near).push_back({&e, kind});
        }
    };
    scan(q.local, MatchKind::local);
    const int family = q.local.addr.family();
    if (!q.local.addr.is_unspecified()) scan(any_address(family, q.local.port), MatchKind::wildcard);
    if (family == 4) scan(any_address(6, q.local.port), MatchKind::wildcard);
    strict.insert(strict.end(), near.begin(), near.end());
    return strict;
}

}  // namespace sockowner
