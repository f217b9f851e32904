// The owner each flow had, by direction: a packet the journal cannot place any more
// (a FIN or the last ACK after its socket's interval ended) keeps its flow's owner.
// Each direction also keeps the journal's last answer and the times over which it
// holds (OwnerIndex::find's span): the flow's later packets take it with one probe.
#pragma once

#include "large_array.hpp"
#include "owner_index.hpp"
#include "side_owner.hpp"
#include "tuple_key.hpp"
#include "types.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace sockowner::attribution {

class ConversationCache {
public:
    // A flow silent for longer than `idle` is over: a later packet on the tuple is another flow.
    explicit ConversationCache(TimeNs idle) : idle_(idle) {}

    // The socket with local end `local` and remote end `remote` belonged to `owner` at `at`.
    void remember(Proto proto, const Endpoint& local, const Endpoint& remote, const SideOwner& owner, TimeNs at);
    // The owner of the flow's earlier packets, when the last was at most `idle` before `at`.
    std::optional<SideOwner> recall(Proto proto, const Endpoint& local, const Endpoint& remote, TimeNs at);

    // The journal's answer for that end (how == unknown: no socket) remembered with
    // `stamp` for a span holding `at`; nullptr when there is none. A socket found is
    // remembered as the flow's owner at `at`, as remember() does.
    // `span`, when given, gets the times over which the answer holds.
    const SideOwner* answered(Proto proto, const Endpoint& local, const Endpoint& remote, TimeNs at,
                              std::uint64_t stamp, AnswerSpan* span = nullptr);
    // The journal answered `answer` for that end at `at`, and will for any time in
    // `span` while `stamp` (the index's changes) stays the same; a socket is also
    // remembered as the flow's owner, as remember() does.
    void remember_answer(Proto proto, const Endpoint& local, const Endpoint& remote, const SideOwner& answer,
                         AnswerSpan span, std::uint64_t stamp, TimeNs at);

    // Where that end's entry is (flow, side), for touch() and known(); kNone when absent.
    // Holds until generation() changes.
    std::uint32_t find(Proto proto, const Endpoint& local, const Endpoint& remote, int& side) {
        return locate(proto, local, remote, false, side);
    }
    // What answered() does to that entry when it answers `answer` at `at`, without the
    // lookup: a flow's later packet known to get the same answer.
    void touch(std::uint32_t flow, int side, const SideOwner& answer, TimeNs at);
    // Whether that entry has an owner remembered (recall() could name it).
    bool known(std::uint32_t flow, int side) const { return flows_[flow].side[side].owner.known(); }
    // Changes whenever entries move or go (clear(), a sweep): find()'s answers are stale.
    std::uint64_t generation() const { return generation_; }
    static constexpr std::uint32_t kNone = UINT32_MAX;

    std::size_t size() const { return sides_; }    // flow sides remembered
    std::size_t flows() const { return flows_.size(); }  // flows held, idle ones included until swept
    void clear();

private:
    // Both ends of a flow share one entry, keyed by the tuple with its endpoints in a
    // fixed order; side[0] is the end that sorts first. A packet asks about both of
    // its ends, so its second question finds the entry of the first (last_).
    struct Side {
        SideOwner owner;  // how == unknown: nothing remembered for this end
        TimeNs last = 0;
        SideOwner answer;  // the journal's; none while span is empty
        AnswerSpan span;
        std::uint64_t stamp = 0;
        TimeNs asked = INT64_MIN;  // the answer's latest use
    };
    struct Flow {
        TupleKey key;
        Side side[2];
    };
    // Open addressing over a power-of-two table: index + 1 into flows_ (0 = empty)
    // and the hash's upper half, so that a probe rarely touches a flow it does not want.
    struct Slot {
        std::uint32_t index = 0;
        std::uint32_t tag = 0;
    };
    // The flow of that tuple and the side that is `local`'s; kNone when absent and not `insert`.
    std::uint32_t locate(Proto proto, const Endpoint& local, const Endpoint& remote, bool insert, int& side);
    // Before the table grows: flows idle for longer than twice `idle` (their owner can no
    // longer be recalled, even by a packet somewhat out of order) leave it, so that its
    // size follows the flows of the last minutes, not of the whole capture.
    void make_room();
    void note_owner(Side& s, const SideOwner& owner, TimeNs at);
    void rehash(std::size_t slots);

    TimeNs idle_;
    LargeArray<Slot> slots_;
    LargeArray<Flow> flows_;
    std::size_t sides_ = 0;
    std::uint32_t last_ = kNone;  // the flow found by the previous locate()
    TimeNs newest_ = INT64_MIN;   // the latest packet time seen
    std::uint64_t generation_ = 0;
};

}  // namespace sockowner::attribution
