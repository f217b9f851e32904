// TupleKey → uint32 in one flat open-addressed array: a lookup is usually one cache
// line, where std::unordered_map walks a node list and rehashes each node's key.
// Values are never kNone (it marks empty slots); keys are never removed.
#pragma once

#include "large_array.hpp"
#include "tuple_key.hpp"

#include <cstdint>
#include <vector>

namespace sockowner {

class TupleTable {
public:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    // The value stored for `k`, or kNone.
    std::uint32_t find(const TupleKey& k) const {
        if (slots_.empty()) return kNone;
        for (std::size_t i = slot_of(k);; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.value == kNone) return kNone;
            if (s.key == k) return s.value;
        }
    }

    // The value slot for `k`, kNone when `k` is new (the caller sets it).
    std::uint32_t& at(const TupleKey& k) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        for (std::size_t i = slot_of(k);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.value == kNone) {
                s.key = k;
                ++size_;
                return s.value;
            }
            if (s.key == k) return s.value;
        }
    }

    void reserve(std::size_t n) {
        while (n * 2 > slots_.size()) grow();
    }
    std::size_t size() const { return size_; }
    void clear() {
        slots_.clear();
        size_ = 0;
        mask_ = 0;
        shift_ = 64;
    }

private:
    struct Slot {
        TupleKey key;
        std::uint32_t value = kNone;
    };

    // Fibonacci hashing: the hash's high bits pick the slot.
    std::size_t slot_of(const TupleKey& k) const {
        return std::size_t((std::uint64_t(TupleKeyHash{}(k)) * 0x9E3779B97F4A7C15ull) >> shift_);
    }

    void grow() {
        LargeArray<Slot> old;
        old.swap(slots_);
        std::size_t n = old.empty() ? 64 : old.size() * 2;
        slots_.assign(n, Slot{});
        mask_ = n - 1;
        shift_ = 64 - __builtin_ctzll(n);
        size_ = 0;
        for (const Slot& s : old)
            if (s.value != kNone) at(s.key) = s.value;
    }

    LargeArray<Slot> slots_;
    std::size_t size_ = 0, mask_ = 0;
    int shift_ = 64;
};

}  // namespace sockowner
