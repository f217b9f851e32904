// Row id → small index, for ids of any spread: a flat array while the ids are dense
// (as in every journal the collector writes), a hash map for the ids beyond that. A
// crafted journal with one row of id 2^40 costs one map entry, not gigabytes: memory
// stays O(rows) whatever the ids.
#pragma once

#include "large_array.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace sockowner {

class IdMap {
public:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    std::uint32_t find(std::int64_t id) const {
        if (id >= 0 && std::uint64_t(id) < dense_.size() && dense_[std::size_t(id)] != kNone)
            return dense_[std::size_t(id)];
        if (sparse_.empty()) return kNone;
        auto it = sparse_.find(id);
        return it == sparse_.end() ? kNone : it->second;
    }

    void set(std::int64_t id, std::uint32_t value) {
        if (auto it = sparse_.find(id); it != sparse_.end()) {
            it->second = value;
            return;
        }
        // The array may grow to a few times the number of rows, never more.
        std::uint64_t limit = std::max<std::uint64_t>(1u << 16, 4 * (std::uint64_t(count_) + 1));
        if (id >= 0 && std::uint64_t(id) < limit) {
            if (std::uint64_t(id) >= dense_.size())
                dense_.resize(std::size_t(std::min<std::uint64_t>(limit, std::uint64_t(id) + 1 + std::uint64_t(id) / 2)),
                              kNone);
            if (dense_[std::size_t(id)] == kNone) ++count_;
            dense_[std::size_t(id)] = value;
            return;
        }
        sparse_.emplace(id, value);
        ++count_;
    }

    void reserve(std::size_t n) { dense_.reserve(n + 1); }
    void clear() {
        dense_.clear();
        sparse_.clear();
        count_ = 0;
    }
    std::size_t size() const { return count_; }
    std::size_t memory_bytes() const {
        return dense_.capacity() * sizeof(std::uint32_t) + sparse_.size() * 32;
    }

private:
    LargeArray<std::uint32_t> dense_;
    std::unordered_map<std::int64_t, std::uint32_t> sparse_;
    std::size_t count_ = 0;
};

}  // namespace sockowner
