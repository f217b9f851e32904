// The procfs collector: polls /proc and turns differences between looks into intervals.
#pragma once

#include "event_source.hpp"
#include "ownership_table.hpp"
#include "process_cache.hpp"
#include "procfs_snapshot.hpp"

namespace sockowner {

struct ProcfsPollStats {
    std::uint64_t polls = 0, sockets = 0, opened = 0, closed = 0;
    std::size_t hidden_processes = 0, unowned_sockets = 0, namespaces = 0;
};

class ProcfsSource : public EventSource {
public:
    ProcfsSource(const procfs::Reader& proc, ProcessCache& cache, OwnershipTable& table, TimeNs interval)
        : proc_(proc), cache_(cache), table_(table), interval_(interval) {}

    TimeNs next_tick() const override { return last_poll_ + interval_; }
    void tick(TimeNs now) override { poll(now); }
    void report(JournalWriter& w) const override;

    // One look at /proc. Sockets seen for the first time are dated from the previous
    // look or their process's start, whichever is later (they appeared after both); on
    // the first look, from their process's start, since they existed before the
    // collector did. With `close_missing` false (the
    // start-up snapshot of the eBPF mode) nothing is closed.
    void poll(TimeNs now, bool close_missing = true);

    const ProcfsPollStats& stats() const { return stats_; }

private:
    const procfs::Reader& proc_;
    ProcessCache& cache_;
    OwnershipTable& table_;
    TimeNs interval_;
    TimeNs last_poll_ = 0;
    ProcfsPollStats stats_;
};

}  // namespace sockowner
