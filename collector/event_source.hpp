// What the collector's main loop drives: a source of ownership observations.
#pragma once

#include "types.hpp"
#include "writer.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockowner {

class EventSource {
public:
    virtual ~EventSource() = default;
    // A descriptor that becomes readable when events wait (-1: none, timer-driven only).
    virtual int wait_fd() const { return -1; }
    virtual void on_readable() {}
    // When tick() wants to run next (wall clock).
    virtual TimeNs next_tick() const = 0;
    virtual void tick(TimeNs now) = 0;
    // Publishes the source's counters (the `stats` command reads them back).
    virtual void report(JournalWriter& w) const = 0;
    // What this source runs in the kernel, for the run's record (eBPF: the build id
    // of the attached programs); empty when nothing.
    virtual std::string kernel_build() const { return {}; }
    // Events the kernel programs could not queue since they were loaded (they outlive
    // collectors); nothing for a source without them.
    virtual std::optional<std::uint64_t> kernel_lost_total() const { return std::nullopt; }
};

}  // namespace sockowner
