// Decides each side's owner: the journal's socket for the packet's time, else the
// kernel where the rules say so and a collector watched that host, else the flow's
// earlier owner. In live captures a new flow's first packet may be dissected before
// the collector has written its socket: then the journal is re-read until the row
// appears or the packet is `live_wait` old.
#pragma once

#include "conversation_cache.hpp"
#include "flow_memo.hpp"
#include "journal_follower.hpp"
#include "side_owner.hpp"
#include "side_plan.hpp"

#include <unordered_set>

namespace sockowner::attribution {

// How often a capture read while the collector writes (live, or a file still growing)
// re-reads the journal for rows written since, at most: the plugin's and annotate's.
inline constexpr TimeNs kJournalRefreshInterval = 100'000'000;

struct AttributionOptions {
    MatchOptions match;                               // interval slack and grace
    TimeNs conversation_idle = 120'000'000'000;       // a flow's owner outlives its interval this long
    TimeNs live_wait = 100'000'000;                   // longest wait for a new flow's row, from the packet's time
    TimeNs live_requery = 10'000'000;                 // journal re-reads while waiting, at most this often
};

// Time for the live wait: the real one reads the clocks and sleeps; tests fake it.
class Waiter {
public:
    virtual ~Waiter() = default;
    virtual TimeNs wall_now() = 0;
    virtual void sleep(TimeNs duration) = 0;
};

class SystemWaiter final : public Waiter {
public:
    TimeNs wall_now() override;
    void sleep(TimeNs duration) override;
};

// A packet's owners kept for its flow's later packets (TCP without SYN or RST, UDP):
// both ends' answers came from the journal's index for a span of time and hold at any
// time in it while the index, the journal read and the flows' entries are as they
// were. from > to: the owners do not repeat. A packet the other way asks the same two
// questions with the ends swapped, so it takes turned(true)'s owners.
struct Repeat {
    TimeNs from = 1, to = 0;
    std::uint64_t stamp = 0, epoch = 0, generation = 0;
    std::uint32_t flow = 0;  // both ends' ConversationCache entry
    int src_side = 0;        // the source's side of it
    FrameOwners owners;
    bool usable() const { return from <= to; }
    // The same answer for the other direction when `reversed`: kept once per flow in
    // its FlowKey's order, a packet's own turned to that order and back.
    Repeat turned(bool reversed) const {
        Repeat r = *this;
        if (reversed) {
            r.src_side = 1 - src_side;
            r.owners = {owners.dst, owners.src};
        }
        return r;
    }
    FrameOwners owners_turned(bool reversed) const { return reversed ? FrameOwners{owners.dst, owners.src} : owners; }
};

class Attributor {
public:
    Attributor(JournalFollower& journal, AttributionOptions opt);

    // `repeat`, when given, gets what again() needs to give the same owners to the
    // flow's next packets in the same direction.
    FrameOwners attribute(const PacketPlan& plan, Repeat* repeat = nullptr);
    // The owners of `r`'s packet hold for a packet of the same flow at `at`, either
    // way (TCP without SYN or RST, UDP): r.owners, or r.owners_turned(true) for a
    // packet the other way, is what attribute() would answer; this notes it as that
    // would, without the lookups. False: attribute() it.
    bool again(const Repeat& r, TimeNs at);
    // For live captures: waits (at most until the packet's time + live_wait, once per
    // flow side) for the rows of sockets on a watched host that are not in the journal yet.
    FrameOwners attribute_live(const PacketPlan& plan, Waiter& waiter);

    // A new capture file: earlier flows and waits no longer apply.
    void new_file();
    void set_options(const AttributionOptions& opt) {
        opt_ = opt;
        ++option_changes_;  // the answers remembered were for the old slack and grace
    }
    const AttributionOptions& options() const { return opt_; }

    std::int64_t waits() const { return waits_; }  // flows waited for

private:
    // The owner a journal match names, tagged with the journal's epoch: a flow's owner
    // remembered before a rotation still names the process it named then.
    void cover(const PacketPlan& plan);
    SideOwner owner_of(const OwnerMatch& m) const;
    // `span`, when given: the times over which the index's answer holds (empty: none,
    // or the answer did not come from the index).
    std::optional<SideOwner> from_journal(const SidePlan& p, AnswerSpan* span = nullptr);
    // The index's answer for a connection's end, remembered per flow for as long as it holds.
    std::optional<SideOwner> find_socket(const OwnerQuery& q, AnswerSpan* span);
    std::uint64_t stamp() const;
    Repeat repeatable(const PacketPlan& plan, const FrameOwners& owners, AnswerSpan src, AnswerSpan dst);
    std::optional<SideOwner> raw_echo_owner(const OwnerQuery& q) const;
    SideOwner decide(const SidePlan& p, const std::optional<SideOwner>& found);
    bool worth_waiting(const SidePlan& p);

    JournalFollower& journal_;
    AttributionOptions opt_;
    ConversationCache flows_;
    ConversationCache waited_;  // flow sides already waited for (the owner stored is unused)
    std::int64_t waits_ = 0;
    std::uint64_t option_changes_ = 0;
};

// A packet's owners: its flow's last ones from `recent` when again() says they hold,
// else attribute()'s, kept there for the flow's next packets when they repeat.
// `repeated`, when given, says which. (The plugin keeps its frame records instead.)
FrameOwners attribute_flow(Attributor& a, FlowMemo<Repeat>& recent, const PacketTuple& t, TimeNs at,
                           bool* repeated = nullptr);

}  // namespace sockowner::attribution
