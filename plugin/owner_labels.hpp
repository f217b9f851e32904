// What the plugin shows for one side's owner: the Info column label, the tree's subtree
// title, the statistics label. Rendered once per process, not once per packet, and
// again only when the journal's process rows change.
#pragma once

#include "journal_follower.hpp"
#include "side_owner.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>

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
    explicit OwnerLabelCache(const JournalFollower& journal);

    // The labels of `o`. They, and the row they point to, stay valid and unchanged
    // until the journal is read again (JournalFollower::refresh) or the cache is cleared.
    const OwnerLabels& get(const SideOwner& o);

    std::size_t size() const { return by_process_.size(); }
    void clear() { by_process_.clear(); }

private:
    struct Entry {
        OwnerLabels labels;
        std::uint64_t generation = 0;  // the journal's process generation when rendered
    };
    void render(OwnerLabels& l, std::int64_t process_id) const;

    const JournalFollower& journal_;
    std::unordered_map<std::int64_t, Entry> by_process_;
    OwnerLabels kernel_, unknown_;
};

}  // namespace sockowner::plugin
