// In-memory index of ownership intervals: "who owned PROTO LOCAL→REMOTE at time T".
// The CLI's `lookup` and the Wireshark plugin share these rules.
#pragma once

#include "id_map.hpp"
#include "large_array.hpp"
#include "reader.hpp"
#include "tuple_key.hpp"
#include "tuple_table.hpp"
#include "types.hpp"

#include <optional>
#include <unordered_map>
#include <vector>

namespace sockowner {

enum class MatchKind : std::uint8_t {
    exact,     // the socket's local and remote endpoints are the packet's
    local,     // local endpoint matches; the socket is not connected (listener, unconnected UDP)
    wildcard,  // bound to the any-address on that port
};
std::string_view match_kind_name(MatchKind k);

struct OwnerQuery {
    Proto proto;
    Endpoint local, remote;
    TimeNs at;
};

struct MatchOptions {
    TimeNs slack = 1'000'000'000;  // an interval counts from opened - slack
    TimeNs grace = 1'000'000'000;  // ... until closed + grace
};

struct IndexedSocket {
    std::int64_t id = 0, process_id = 0;
    TimeNs opened = 0, closed = kStillOpen;
    std::uint32_t next = kNone;  // next interval with the same tuple
    // The tuple's chain as of this entry: its length (this entry and those after it), or
    // kLong | the index of the tuple's sorted chain once the tuple has many intervals.
    std::uint32_t chain = 1;
    // The latest close among the entries after this one in its chain (older ones), as
    // an upper bound in whole seconds from `opened`: kNothingAfter when there are none,
    // kAnyTime when one is still open (or too far). A walk of the chain stops here when
    // that is too early to match: a reused port's older intervals, each a cache miss
    // by now, are not read.
    std::int32_t after = kNothingAfter;
    // The caller's small number for the row, kept with it (the plugin's and annotate's:
    // which of a few sources, "ebpf", "procfs", ..., the collector learnt it from).
    std::uint8_t tag = 0;
    static constexpr TimeNs kStillOpen = INT64_MAX;
    static constexpr std::uint32_t kNone = UINT32_MAX;
    static constexpr std::uint32_t kLong = 0x80000000u;
    static constexpr std::int32_t kNothingAfter = INT32_MIN, kAnyTime = INT32_MAX;
};

struct OwnerMatch {
    const IndexedSocket* socket;
    MatchKind kind;
};

// The packet times over which find() gives the same answer for the same tuple, as long
// as the index does not change (changes()): [from, to], both included.
struct AnswerSpan {
    TimeNs from = 0, to = -1;  // empty: only the time asked about
    bool empty() const { return from > to; }
};

class OwnerIndex {
public:
    // Adds an interval, or updates it when its id is already indexed (closed, new owner).
    void upsert(const SocketRow& row, std::uint8_t tag = 0);
    void reserve(std::size_t sockets);
    // `span`, when given, gets the times over which the answer holds: the reach (with
    // slack and grace) of the interval found in the first probed tuple that has any
    // (the connection's own, else the unconnected or any-address socket's) when no
    // other interval of that tuple reaches into it; all time when no probed tuple has
    // any; else nothing more than q.at (intervals of a tuple that overlap, a long
    // chain, or a match after a tuple with intervals: another may win at another time).
    std::optional<OwnerMatch> find(const OwnerQuery& q, const MatchOptions& opt, AnswerSpan* span = nullptr) const;
    // Every unconnected socket on q.local (bound to it or to the any-address) whose
    // interval, with slack and grace, holds q.at: more than one when several sockets
    // receive the same packets (raw sockets of one protocol). Strict matches first.
    std::vector<OwnerMatch> find_all_unconnected(const OwnerQuery& q, const MatchOptions& opt) const;
    std::size_t size() const { return entries_.size(); }
    bool has(std::int64_t id) const { return by_id_.find(id) != IdMap::kNone; }
    // Counts every upsert() and clear(): an answer found before holds while it is the same.
    std::uint64_t changes() const { return changes_; }
    // Intervals that overlap [from, to] (open ones reach to the end of time).
    std::size_t count_overlapping(TimeNs from, TimeNs to) const;
    void clear();

private:
    // The tuple with "not connected" made one form whatever the family; the
    // any-address keeps its family (0.0.0.0 never receives IPv6).
    static TupleKey make_key(Proto proto, const Endpoint& local, const Endpoint& remote);
    std::optional<AnswerSpan> alone_span(std::uint32_t head, const IndexedSocket& s, const MatchOptions& opt) const;
    const IndexedSocket* best_in_chain(std::uint32_t head, TimeNs at, const MatchOptions& opt) const;

    // Port and pid reuse: a tuple's intervals form a chain, newest first. A short chain
    // is walked; one of more than kShortChain intervals (a busy local port over a week)
    // also gets a SortedChain, so that a lookup costs O(log n) instead of n steps.
    static constexpr std::uint32_t kShortChain = 16;
    struct SortedChain {
        // The chain's entries by (opened, entry index), with their opened time at hand
        // so that a binary search reads one array.
        struct Item {
            TimeNs opened;
            std::uint32_t entry;
            friend bool operator<(const Item& a, const Item& b) {
                return a.opened < b.opened || (a.opened == b.opened && a.entry < b.entry);
            }
        };
        std::vector<Item> by_opened;
        // A max segment tree over by_opened's positions of (closed, entry index): the
        // last position up to p whose interval is still open at a time, and the latest
        // close among positions up to p, in O(log n).
        struct Node {
            TimeNs closed;
            std::uint32_t entry;
        };
        std::vector<Node> tree;  // 2 * capacity nodes, leaves at [capacity, 2 * capacity)
        std::size_t capacity = 0;
    };
    const IndexedSocket* walk_chain(std::uint32_t head, TimeNs at, const MatchOptions& opt) const;
    const IndexedSocket* search_sorted(const SortedChain& c, TimeNs at, const MatchOptions& opt) const;
    void link(std::uint32_t& head, std::uint32_t index);
    void later_close(const SocketRow& row, std::uint32_t index);
    bool walk_ends(const IndexedSocket& e, TimeNs t, TimeNs grace) const;
    void make_sorted(std::uint32_t head);
    void sorted_insert(SortedChain& c, std::uint32_t index);
    void sorted_update(SortedChain& c, std::uint32_t index, TimeNs old_opened);
    void rebuild_tree(SortedChain& c) const;
    void set_leaf(SortedChain& c, std::size_t pos) const;

    LargeArray<IndexedSocket> entries_;
    std::vector<SortedChain> sorted_;
    TupleTable heads_;  // tuple → newest entry
    IdMap by_id_;        // row id → entry
    std::uint64_t changes_ = 0;
    // Walks stop early (IndexedSocket::after); false once a close moved later could not
    // be carried to the newer entries of its chain (deep in a long one, or a row whose
    // tuple changed: a damaged journal), after which every walk reads the whole chain.
    bool prune_ = true;
};

}  // namespace sockowner
