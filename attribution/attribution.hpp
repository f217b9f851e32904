// Decides each side's owner: the journal's socket for the packet's time, else the
// kernel where the rules say so and a collector watched that host, else the flow's
// earlier owner. In live captures a new flow's first packet may be dissected before
// the collector has written its socket: then the journal is re-read until the row
// appears or the packet is `live_wait` old.
#pragma once

#include "conversation_cache.hpp"
#include "journal_follower.hpp"
#include "side_owner.hpp"
#include "side_plan.hpp"

#include <unordered_set>

namespace sockowner::attribution {

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

class Attributor {
public:
    Attributor(JournalFollower& journal, AttributionOptions opt);

    FrameOwners attribute(const PacketPlan& plan);
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
    std::optional<SideOwner> from_journal(const SidePlan& p);
    // The index's answer for a connection's end, remembered per flow for as long as it holds.
    std::optional<SideOwner> find_socket(const OwnerQuery& q);
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

}  // namespace sockowner::attribution
