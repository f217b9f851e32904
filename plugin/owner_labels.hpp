// What the plugin shows for one side's owner: the Info column label, the tree's subtree
// title, the statistics label. Rendered once per process, not once per packet, and
// again only when the journal's process rows change.
#pragma once

#include "journal_follower.hpp"
#include "side_owner.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sockowner::plugin {

// The name shown for kernel-generated packets.
inline constexpr const char* kKernelName = "[kernel]";

enum class End : int { src = 0, dst = 1 };

struct OwnerLabels {
    const ProcessRow* row = nullptr;  // the owning process, when the journal has it
    const char* name = nullptr;       // "curl", "[kernel]"; nullptr when unknown
    std::string info;                 // "curl 4242", "kernel", "?"
    std::string title[2];             // "Source process: curl (4242)", "Destination process: unknown"
    std::string stats;                // "curl (4242)", "[kernel]"; empty when unknown

    const std::string& title_for(End e) const { return title[int(e)]; }
};

class OwnerLabelCache {
public:
    // Names an owner's labels: unknown, the kernel, or one per process. A handle stays
    // valid as long as the cache, across journal re-reads and rebind().
    using Handle = std::uint32_t;

    explicit OwnerLabelCache(const JournalFollower& journal);
    // Another journal: the same process ids now name its rows.
    void rebind(const JournalFollower& journal);

    Handle handle(const SideOwner& o);
    // The labels, current for the journal's rows. They, and the row they point to, stay
    // valid and unchanged until the journal is read again or rebound.
    const OwnerLabels& get(Handle h);
    const OwnerLabels& get(const SideOwner& o) { return get(handle(o)); }

    std::size_t size() const { return entries_.size(); }  // handles made

private:
    struct Entry {
        bool process = false;  // else unknown or the kernel, rendered once
        std::int64_t process_id = 0;
        std::uint64_t epoch = 0, generation = 0;  // of the journal rendered from
        OwnerLabels labels;
    };
    static constexpr Handle kUnknown = 0, kKernel = 1;

    // Open addressing over a power-of-two table, at most half full: the process id's
    // handle (0 = empty slot). Looked up for both ends of every packet's first pass.
    struct Slot {
        std::int64_t process_id = 0;
        Handle handle = 0;
    };
    void grow();

    const JournalFollower* journal_;
    std::uint64_t epoch_ = 1;  // which journal
    std::vector<Slot> by_process_;
    std::vector<std::unique_ptr<Entry>> entries_;  // by handle; each entry stays where it is
};

}  // namespace sockowner::plugin
