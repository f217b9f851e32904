// TupleKey → uint32: keys and values in one array in the order they were added, and
// an open-addressed table of 8-byte slots (32 bits of the key's hash, the key's
// position) that finds them. A lookup reads one slot, and the key only when the hash
// bits match: a key that is not there (most of a lookup's probes: wildcard and
// any-address tuples, an end no socket owns) costs one read of a table a fifth of the
// size a slot holding the key makes, and growing re-places slots without reading a
// key. Measured: a 44-byte slot array (the key in the slot) made the index the
// largest thing `sockowner annotate` and the plugin touch at random. Values are never
// kNone (it marks a new key); keys are never removed.
#pragma once

#include "large_array.hpp"
#include "tuple_key.hpp"

#include <cstdint>

namespace sockowner {

class TupleTable {
public:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    // The value stored for `k`, or kNone.
    std::uint32_t find(const TupleKey& k) const {
        if (slots_.empty()) return kNone;
        const std::uint32_t h = hash(k);
        for (std::size_t i = slot_of(h);; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.entry == 0) return kNone;
            if (s.hash == h && entries_[s.entry - 1].key == k) return entries_[s.entry - 1].value;
        }
    }

    // The value slot for `k`, kNone when `k` is new (the caller sets it); valid until
    // the next at().
    std::uint32_t& at(const TupleKey& k) {
        if ((entries_.size() + 1) * 2 > slots_.size()) grow();
        const std::uint32_t h = hash(k);
        for (std::size_t i = slot_of(h);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.entry == 0) {
                entries_.push_back(Entry{k, kNone});
                s = Slot{h, std::uint32_t(entries_.size())};
                return entries_.back().value;
            }
            if (s.hash == h && entries_[s.entry - 1].key == k) return entries_[s.entry - 1].value;
        }
    }

    void reserve(std::size_t n) {
        entries_.reserve(n);
        while (n * 2 > slots_.size()) grow();
    }
    std::size_t size() const { return entries_.size(); }
    void clear() {
        slots_.clear();
        entries_.clear();
        mask_ = 0;
        shift_ = 32;
    }

private:
    struct Slot {
        std::uint32_t hash = 0;   // the key's hash(): its top bits are the slot's number
        std::uint32_t entry = 0;  // the key's position in entries_ + 1; 0: empty
    };
    struct Entry {
        TupleKey key;
        std::uint32_t value;
    };

    // Fibonacci hashing: the product's top 32 bits; the table's size picks how many
    // of them choose the slot (so growing needs no key).
    static std::uint32_t hash(const TupleKey& k) {
        return std::uint32_t((std::uint64_t(TupleKeyHash{}(k)) * 0x9E3779B97F4A7C15ull) >> 32);
    }
    // Only once slots_ exists (find() returns before, at() grows first): shift_ < 32.
    std::size_t slot_of(std::uint32_t h) const { return std::size_t(h >> shift_); }

    void grow() {
        LargeArray<Slot> old;
        old.swap(slots_);
        const std::size_t n = old.empty() ? 64 : old.size() * 2;
        slots_.assign(n, Slot{});
        mask_ = n - 1;
        shift_ = 32 - __builtin_ctzll(n);
        for (const Slot& s : old) {
            if (s.entry == 0) continue;
            std::size_t i = slot_of(s.hash);
            while (slots_[i].entry != 0) i = (i + 1) & mask_;
            slots_[i] = s;
        }
    }

    LargeArray<Slot> slots_;
    LargeArray<Entry> entries_;
    std::size_t mask_ = 0;
    int shift_ = 32;
};

}  // namespace sockowner
