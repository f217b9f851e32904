// The first pass's answer for each frame in 4 bytes: a frame names one of the file's
// distinct records (there are few: one per pair of owners and how they were found),
// so hours of packets cost 4 bytes each rather than a whole record each.
#pragma once

#include "frame_table.hpp"
#include "interned.hpp"

#include <cstdint>

namespace sockowner::plugin {

// Record: copyable, with == and a Hash.
template <class Record, class Hash>
class FrameRecords {
public:
    // The record stored for frame `num`, or nullptr. Stays valid until clear().
    const Record* find(std::uint32_t num) {
        const std::uint32_t* id = ids_.find(num);
        return id && *id ? &records_[*id - 1] : nullptr;
    }
    // Stores `r` for frame `num` (the same record as an earlier frame's when equal);
    // `number`, when given, gets the record's number, for store_again().
    const Record& store(std::uint32_t num, const Record& r, std::uint32_t* number = nullptr) {
        std::uint32_t id = records_.intern(r);
        if (number) *number = id;
        return store_again(num, id);
    }
    // Stores for frame `num` the record numbered `id` by store() (since the last clear()).
    const Record& store_again(std::uint32_t num, std::uint32_t id) {
        ids_.make(num) = id + 1;
        return records_[id];
    }
    // The record numbered `id` by store().
    const Record& record(std::uint32_t id) const { return records_[id]; }
    void clear() {
        ids_.clear();
        records_.clear();
    }
    std::size_t distinct() const { return records_.size(); }

private:
    FrameTable<std::uint32_t> ids_;  // frame number → record number + 1; 0: none
    attribution::Interned<Record, Hash> records_;
};

}  // namespace sockowner::plugin
