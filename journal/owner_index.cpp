#include "owner_index.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace sockowner {

namespace {
// "Not connected" is one key whatever the family. The any-address keeps its family:
// 0.0.0.0 receives IPv4 only; [::] receives IPv6 and, on a dual-stack socket, IPv4
// (whose addresses the kernel shows v4-mapped, which IpAddr makes IPv4 again).
const Endpoint kNoRemote{};
const IpAddr kAny6 = *IpAddr::parse("::");
Endpoint any_address(int family, std::uint16_t port) { return Endpoint{family == 6 ? kAny6 : IpAddr(), port}; }
// The packet times an interval can match: from `slack` before it opened to `grace`
// after it closed (to the end of time while it is open).
AnswerSpan reach(const IndexedSocket& e, const MatchOptions& opt) {
    return {e.opened - opt.slack, e.closed == IndexedSocket::kStillOpen ? e.closed : e.closed + opt.grace};
}

// IndexedSocket::after as a time: INT64_MIN when nothing is after, kStillOpen for any time.
TimeNs after_time(const IndexedSocket& e) {
    if (e.after == IndexedSocket::kNothingAfter) return INT64_MIN;
    if (e.after == IndexedSocket::kAnyTime) return IndexedSocket::kStillOpen;
    const __int128 t = __int128(e.opened) + __int128(e.after) * 1'000'000'000;
    return t >= INT64_MAX ? IndexedSocket::kStillOpen : t <= INT64_MIN ? INT64_MIN + 1 : TimeNs(t);
}

// The latest close `latest` (as after_time() gives it) as an entry opened at `opened`
// keeps it: seconds rounded up, never below the time.
std::int32_t after_of(TimeNs opened, TimeNs latest) {
    if (latest == INT64_MIN) return IndexedSocket::kNothingAfter;
    if (latest == IndexedSocket::kStillOpen) return IndexedSocket::kAnyTime;
    const __int128 d = __int128(latest) - opened;
    const __int128 s = d >= 0 ? (d + 999'999'999) / 1'000'000'000 : -(-d / 1'000'000'000);
    if (s >= IndexedSocket::kAnyTime) return IndexedSocket::kAnyTime;
    if (s <= IndexedSocket::kNothingAfter) return IndexedSocket::kNothingAfter + 1;
    return std::int32_t(s);
}
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

void OwnerIndex::upsert(const SocketRow& row, std::uint8_t tag) {
    if (row.id <= 0) return;
    ++changes_;
    if (std::uint32_t index = by_id_.find(row.id); index != IdMap::kNone) {
        IndexedSocket& e = entries_[index];
        const TimeNs old_opened = e.opened, old_closed = e.closed, latest_after = after_time(e);
        e.process_id = row.process_id;
        e.opened = row.s.opened;
        e.closed = row.s.closed.value_or(IndexedSocket::kStillOpen);
        e.after = after_of(e.opened, latest_after);  // the same time, from another opened
        e.tag = tag;
        if (e.chain & IndexedSocket::kLong) sorted_update(sorted_[e.chain & ~IndexedSocket::kLong], index, old_opened);
        if (e.closed > old_closed) later_close(row, index);
        return;
    }
    auto index = std::uint32_t(entries_.size());
    IndexedSocket e;
    e.id = row.id;
    e.process_id = row.process_id;
    e.opened = row.s.opened;
    e.closed = row.s.closed.value_or(IndexedSocket::kStillOpen);
    e.tag = tag;
    entries_.push_back(e);
    link(heads_.at(make_key(row.s.proto, row.s.local, row.s.remote)), index);  // kNone for a new tuple
    by_id_.set(row.id, index);
}

void OwnerIndex::reserve(std::size_t sockets) {
    entries_.reserve(sockets);
    heads_.reserve(sockets);
    by_id_.reserve(sockets);
}

void OwnerIndex::clear() {
    ++changes_;
    entries_.clear();
    sorted_.clear();
    heads_.clear();
    by_id_.clear();
    prune_ = true;
}

// Entry `index` (the row's) closes later than it did: the newer entries of its chain,
// whose `after` bounded its close, now bound the new one. A socket the collector saw
// again after it took it for closed: near its chain's head.
void OwnerIndex::later_close(const SocketRow& row, std::uint32_t index) {
    if (!prune_) return;
    const TimeNs closed = entries_[index].closed;
    std::uint32_t i = heads_.find(make_key(row.s.proto, row.s.local, row.s.remote));
    for (std::uint32_t steps = 0; i != IndexedSocket::kNone && steps <= kShortChain; i = entries_[i].next, ++steps) {
        if (i == index) return;
        IndexedSocket& n = entries_[i];
        n.after = after_of(n.opened, std::max(closed, after_time(n)));
    }
    prune_ = false;
}

// ---- The per-tuple chains ----------------------------------------------------------

// No entry after `e` in its chain reaches time `t` (with `grace` after its close): a
// walk looking for `t` ends at `e`.
bool OwnerIndex::walk_ends(const IndexedSocket& e, TimeNs t, TimeNs grace) const {
    if (!prune_) return false;
    const TimeNs latest = after_time(e);
    return latest != IndexedSocket::kStillOpen && (latest == INT64_MIN || __int128(t) > __int128(latest) + grace);
}

// Puts entry `index` at the head of the chain whose head is `head`.
void OwnerIndex::link(std::uint32_t& head, std::uint32_t index) {
    IndexedSocket& e = entries_[index];
    e.next = head;
    if (head == IndexedSocket::kNone) {
        e.chain = 1;
    } else {
        const IndexedSocket& older = entries_[head];
        e.after = after_of(e.opened, std::max(older.closed, after_time(older)));
        e.chain = older.chain & IndexedSocket::kLong ? older.chain : older.chain + 1;
        if (e.chain & IndexedSocket::kLong) sorted_insert(sorted_[e.chain & ~IndexedSocket::kLong], index);
    }
    head = index;
    if (!(e.chain & IndexedSocket::kLong) && e.chain > kShortChain) make_sorted(index);
}

// The chain from `head` gets its sorted form; every entry of it is marked as such.
void OwnerIndex::make_sorted(std::uint32_t head) {
    auto which = std::uint32_t(sorted_.size()) | IndexedSocket::kLong;
    SortedChain c;
    for (std::uint32_t i = head; i != IndexedSocket::kNone; i = entries_[i].next) {
        entries_[i].chain = which;
        c.by_opened.push_back({entries_[i].opened, i});
    }
    std::sort(c.by_opened.begin(), c.by_opened.end());
    rebuild_tree(c);
    sorted_.push_back(std::move(c));
}

namespace {
using Node = std::pair<TimeNs, std::uint32_t>;  // (closed, entry): the later close, then the newer entry
constexpr TimeNs kNoClose = INT64_MIN;          // an empty leaf
}  // namespace

void OwnerIndex::set_leaf(SortedChain& c, std::size_t pos) const {
    std::size_t i = c.capacity + pos;
    std::uint32_t entry = c.by_opened[pos].entry;
    c.tree[i] = {entries_[entry].closed, entry};
    for (i /= 2; i >= 1; i /= 2) {
        const auto& l = c.tree[2 * i];
        const auto& r = c.tree[2 * i + 1];
        c.tree[i] = Node{l.closed, l.entry} < Node{r.closed, r.entry} ? r : l;
    }
}

// A power of two of leaves, more than the chain has: appends fill it, then it doubles.
void OwnerIndex::rebuild_tree(SortedChain& c) const {
    c.capacity = std::bit_ceil(std::max<std::size_t>(2, c.by_opened.size() + 1));
    c.tree.assign(2 * c.capacity, SortedChain::Node{kNoClose, 0});
    for (std::size_t p = 0; p < c.by_opened.size(); ++p)
        c.tree[c.capacity + p] = {entries_[c.by_opened[p].entry].closed, c.by_opened[p].entry};
    for (std::size_t i = c.capacity - 1; i >= 1; --i) {
        const auto& l = c.tree[2 * i];
        const auto& r = c.tree[2 * i + 1];
        c.tree[i] = Node{l.closed, l.entry} < Node{r.closed, r.entry} ? r : l;
    }
}

// A new entry: appended in O(log n) when it opened last (the usual case), else put in
// its place and the tree rebuilt.
void OwnerIndex::sorted_insert(SortedChain& c, std::uint32_t index) {
    auto& v = c.by_opened;
    SortedChain::Item item{entries_[index].opened, index};
    auto at = std::upper_bound(v.begin(), v.end(), item);
    bool append = at == v.end();
    v.insert(at, item);
    if (append && v.size() <= c.capacity)
        set_leaf(c, v.size() - 1);
    else
        rebuild_tree(c);
}

// Entry `index` changed (closed, or another owner): its leaf, or its place when it
// opened at another time than `old_opened`.
void OwnerIndex::sorted_update(SortedChain& c, std::uint32_t index, TimeNs old_opened) {
    auto& v = c.by_opened;
    auto pos = std::lower_bound(v.begin(), v.end(), SortedChain::Item{old_opened, index});
    if (pos == v.end() || pos->entry != index) return;  // not in this chain: cannot happen
    if (entries_[index].opened == old_opened) {
        set_leaf(c, std::size_t(pos - v.begin()));
        return;
    }
    v.erase(pos);
    SortedChain::Item item{entries_[index].opened, index};
    v.insert(std::upper_bound(v.begin(), v.end(), item), item);
    rebuild_tree(c);
}

namespace {
// The last position ≤ p (in node's range [lo, hi)) whose interval is still open at
// `at`, or -1.
template <class Tree>
long last_open(const Tree& t, std::size_t node, std::size_t lo, std::size_t hi, std::size_t p, TimeNs at) {
    if (lo > p || t[node].closed < at) return -1;
    if (hi - lo == 1) return long(lo);
    std::size_t mid = (lo + hi) / 2;
    long r = last_open(t, 2 * node + 1, mid, hi, p, at);
    return r >= 0 ? r : last_open(t, 2 * node, lo, mid, p, at);
}
}  // namespace

// Port and pid reuse: several intervals share a tuple. Prefer one that strictly
// contains the time, the most recently opened; otherwise the nearest within slack (or
// grace). Ties go to the entry indexed last, as the newest-first walk of a chain does.
const IndexedSocket* OwnerIndex::walk_chain(std::uint32_t head, TimeNs at, const MatchOptions& opt) const {
    const IndexedSocket* best = nullptr;
    bool best_strict = false;
    TimeNs best_distance = INT64_MAX;
    for (std::uint32_t i = head; i != IndexedSocket::kNone; i = entries_[i].next) {
        const IndexedSocket& e = entries_[i];
        if (const AnswerSpan r = reach(e, opt); at >= r.from && at <= r.to) {
            bool strict = at >= e.opened && at <= e.closed;
            TimeNs distance = strict ? at - e.opened : (at < e.opened ? e.opened - at : at - e.closed);
            if ((strict && !best_strict) || (strict == best_strict && distance < best_distance)) {
                best = &e;
                best_strict = strict;
                best_distance = distance;
            }
        }
        if (walk_ends(e, at, opt.grace)) break;
    }
    return best;
}

// The same choice in O(log n): the strict match is the last interval, by opened, that
// opened by `at` and is open at `at` (usually the very last to open by then: checked
// first); without one, the nearest is either the latest close before `at` or the
// earliest open after it.
const IndexedSocket* OwnerIndex::search_sorted(const SortedChain& c, TimeNs at, const MatchOptions& opt) const {
    const auto& v = c.by_opened;
    auto opened_by = std::size_t(
        std::upper_bound(v.begin(), v.end(), at, [](TimeNs t, const SortedChain::Item& x) { return t < x.opened; }) -
        v.begin());
    std::uint32_t best = IndexedSocket::kNone;
    TimeNs best_distance = INT64_MAX;
    if (opened_by > 0) {
        // Usually the last to open by `at` is still open then (one interval after another).
        if (const IndexedSocket& e = entries_[v[opened_by - 1].entry]; e.closed >= at) return &e;
        Node latest{kNoClose, 0};  // the latest close among those opened by `at`
        for (std::size_t l = c.capacity, r = c.capacity + opened_by; l < r; l /= 2, r /= 2) {
            if (l & 1) latest = std::max(latest, Node{c.tree[l].closed, c.tree[l].entry}), ++l;
            if (r & 1) --r, latest = std::max(latest, Node{c.tree[r].closed, c.tree[r].entry});
        }
        if (latest.first >= at) {  // an earlier, longer interval is still open
            long s = last_open(c.tree, 1, 0, c.capacity, opened_by - 1, at);
            return &entries_[v[std::size_t(s)].entry];
        }
        if (latest.first != kNoClose && at <= latest.first + opt.grace) {
            best = latest.second;
            best_distance = at - latest.first;
        }
    }
    if (opened_by < v.size()) {  // the first to open after `at`, the newest of those opened then
        TimeNs opened = v[opened_by].opened;
        auto last = std::upper_bound(v.begin() + long(opened_by), v.end(), opened,
                                     [](TimeNs t, const SortedChain::Item& x) { return t < x.opened; }) - 1;
        const IndexedSocket& e = entries_[last->entry];
        TimeNs distance = opened - at;
        if (at >= opened - opt.slack && at <= reach(e, opt).to &&
            (distance < best_distance || (distance == best_distance && last->entry > best)))
            best = last->entry;
    }
    return best == IndexedSocket::kNone ? nullptr : &entries_[best];
}

// The times at which `s`, of the chain from `head`, is the only interval that
// matches (with slack and grace): when no other interval of the chain reaches into
// its own, all of them. Nothing for a long chain (its sorted form is searched, not
// walked: this is not worked out for it).
std::optional<AnswerSpan> OwnerIndex::alone_span(std::uint32_t head, const IndexedSocket& s,
                                                 const MatchOptions& opt) const {
    if (s.chain & IndexedSocket::kLong) return std::nullopt;
    const AnswerSpan own = reach(s, opt);
    for (std::uint32_t i = head; i != IndexedSocket::kNone; i = entries_[i].next) {
        if (&entries_[i] != &s) {
            const AnswerSpan other = reach(entries_[i], opt);
            if (other.from <= own.to && own.from <= other.to) return std::nullopt;
        }
        if (walk_ends(entries_[i], own.from, opt.grace)) break;
    }
    return own;
}

const IndexedSocket* OwnerIndex::best_in_chain(std::uint32_t head, TimeNs at, const MatchOptions& opt) const {
    std::uint32_t chain = entries_[head].chain;
    if (chain & IndexedSocket::kLong) return search_sorted(sorted_[chain & ~IndexedSocket::kLong], at, opt);
    return walk_chain(head, at, opt);
}

std::optional<OwnerMatch> OwnerIndex::find(const OwnerQuery& q, const MatchOptions& opt, AnswerSpan* span) const {
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
    if (span) *span = AnswerSpan{q.at, q.at};
    bool none_probed = true;  // no probed tuple has any interval
    const bool unconnected = q.remote.addr.is_unspecified() && q.remote.port == 0;
    for (std::size_t i = 0; i < std::size(probes); ++i) {
        if (i >= 4 && family == 6) break;  // the same probes as the two before
        if (unconnected && i % 2 == 0) continue;  // a query without a remote end asks for no connection
        const auto& p = probes[i];
        std::uint32_t head = heads_.find(make_key(q.proto, p.local, p.remote));
        if (head == TupleTable::kNone) continue;
        const bool first_probed = none_probed;
        none_probed = false;
        const IndexedSocket* s = best_in_chain(head, q.at, opt);
        if (!s) continue;
        // The first probed tuple that has intervals: its interval is the answer at any
        // time it matches alone (the probes before it have none at any time; it wins
        // over those after). A connection's own socket, also on a port used before
        // and after it; an unconnected UDP socket; a listener bound to the any-address.
        if (span && first_probed) {
            if (auto alone = alone_span(head, *s, opt)) *span = *alone;
        }
        return OwnerMatch{s, p.kind};
    }
    if (span && none_probed) *span = {INT64_MIN, INT64_MAX};
    return std::nullopt;
}

std::size_t OwnerIndex::count_overlapping(TimeNs from, TimeNs to) const {
    return std::size_t(std::count_if(entries_.begin(), entries_.end(),
                                     [&](const IndexedSocket& e) { return e.opened <= to && e.closed >= from; }));
}

std::vector<OwnerMatch> OwnerIndex::find_all_unconnected(const OwnerQuery& q, const MatchOptions& opt) const {
    std::vector<OwnerMatch> strict, near;
    auto scan = [&](const Endpoint& local, MatchKind kind) {
        for (std::uint32_t i = heads_.find(make_key(q.proto, local, kNoRemote)); i != IndexedSocket::kNone;
             i = entries_[i].next) {
            const IndexedSocket& e = entries_[i];
            if (const AnswerSpan r = reach(e, opt); q.at >= r.from && q.at <= r.to)
                (q.at >= e.opened && q.at <= e.closed ? strict : near).push_back({&e, kind});
            if (walk_ends(e, q.at, opt.grace)) break;
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
