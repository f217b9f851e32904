// What the plugin shows for one side's owner: the Info column label, the tree's subtree
// title, the statistics label. Rendered once per process, not once per packet, and
// again only when the journal's process rows change.
//
// Labels do not move: a handle names a process of one journal file (its epoch), so a
// frame keeps the owner of its first pass when the journal is rotated or another one
// is chosen. Each entry keeps its own copy of the process row: after a rotation the
// labels of the old file's processes stay as they were last rendered.
#pragma once

#include "journal_follower.hpp"
#include "side_owner.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sockowner::attribution {

// The name shown for kernel-generated packets.
inline constexpr const char* kKernelName = "[kernel]";

enum class End : int { src = 0, dst = 1 };

struct OwnerLabels {
    const ProcessRow* row = nullptr;  // the owning process (the cache's copy), when the journal had it
    const char* name = nullptr;       // "curl", "[kernel]"; nullptr when unknown
    std::string info;                 // "curl 4242", "kernel", "?"
    std::string title[2];             // "Source process: curl (4242)", "Destination process: unknown"
    std::string stats;                // "curl (4242)", "[kernel]"; empty when unknown

    const std::string& title_for(End e) const { return title[int(e)]; }
};

class OwnerLabelCache {
public:
    // Names an owner's labels: unknown, the kernel, or one per process of one journal
    // file. A handle stays valid until clear(), across journal re-reads, rotations and
    // rebind().
    using Handle = std::uint32_t;

    explicit OwnerLabelCache(const JournalFollower& journal);
    // Follow another journal from now on; handles made before keep their labels.
    void rebind(const JournalFollower& journal);

    // The owner's handle; a new process is rendered at once, from the journal its ids
    // are of (o.journal, or the current one when 0).
    Handle handle(const SideOwner& o);
    // The handle of a process a capture's annotation names (no journal row): rendered
    // once; processes equal in every field share one.
    Handle annotated(const ProcessInfo& p);
    // The labels: re-rendered when the process's row changed in the same journal file,
    // frozen once that file is no longer read. They, and the row they point to, stay
    // valid and unchanged until the journal is read again or the cache cleared.
    const OwnerLabels& get(Handle h);
    const OwnerLabels& get(const SideOwner& o) { return get(handle(o)); }

    // " [curl 4242 → python3 17]": the Info column's tag of a packet from `src` to `dst`,
    // made once per pair while their labels stay as rendered (the journal's process
    // rows unchanged), where building it costs a packet more than the rest of its work.
    // Valid until the next call.
    const std::string& info_tag(Handle src, Handle dst);

    // "ebpf", "iterator", "procfs" as a string that lives until clear().
    const char* source_name(std::string_view source);

    // Forgets every handle (a capture file closed: no frame holds one any more).
    void clear();
    std::size_t size() const { return entries_.size(); }  // handles made

private:
    struct Entry {
        bool process = false;  // else unknown or the kernel, rendered once
        bool rendered = false;
        std::int64_t process_id = 0;
        std::uint64_t epoch = 0;       // the journal file the process id is of
        std::uint64_t generation = 0;  // of its process rows when rendered
        std::optional<ProcessRow> row; // the copy the labels point to
        OwnerLabels labels;
    };
    static constexpr Handle kUnknown = 0, kKernel = 1;

    // Open addressing over a power-of-two table, at most half full: the (journal,
    // process id)'s handle (0 = empty slot). Looked up for both ends of every packet's
    // first pass.
    struct Slot {
        std::int64_t process_id = 0;
        std::uint64_t epoch = 0;
        Handle handle = 0;
    };
    // A pair's tag, by a hash of the pair: a capture's next packet is most often of a
    // pair among the last few hundred.
    struct Tag {
        Handle src = 0, dst = 0;
        std::uint64_t generation = 0;  // the journal's process rows when made
        bool made = false;
        std::string text;
    };
    void grow();
    void make_fixed();
    void render(Entry& e);

    const JournalFollower* journal_;
    std::vector<Slot> by_process_;
    std::vector<std::unique_ptr<Entry>> entries_;  // by handle; each entry stays where it is
    std::vector<std::unique_ptr<std::string>> sources_;
    std::unordered_map<std::string, Handle> annotated_;  // by the process's fields
    std::array<Tag, 256> tags_;
};

}  // namespace sockowner::attribution
