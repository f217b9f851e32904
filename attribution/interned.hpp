// Distinct values numbered in the order first seen. Many packets share few records (a
// pair of owners and how each was found): a packet finds its record's number with one
// probe of a flat table, where a std::unordered_map would chase a node or two, each
// a cache miss once the capture's records outgrow the cache.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace sockowner::attribution {

// T: copyable, with ==; Hash: any std::size_t hash of it (mixed again here).
template <class T, class Hash>
class Interned {
public:
    // The number of `v`, numbering it when new (then `added` is set).
    std::uint32_t intern(const T& v, bool* added = nullptr) {
        if ((values_.size() + 1) * 2 > slots_.size()) grow();  // at most half full
        const std::uint64_t h = mix(Hash{}(v));
        const auto tag = std::uint32_t(h >> 32);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.index == 0) {
                values_.push_back(v);
                s = Slot{std::uint32_t(values_.size()), tag};
                if (added) *added = true;
                return s.index - 1;
            }
            if (s.tag == tag && values_[s.index - 1] == v) {
                if (added) *added = false;
                return s.index - 1;
            }
        }
    }
    // The value numbered `i`: stays where it is until clear().
    const T& operator[](std::uint32_t i) const { return values_[i]; }
    T& operator[](std::uint32_t i) { return values_[i]; }
    std::size_t size() const { return values_.size(); }
    void clear() {
        slots_ = {};
        values_ = {};
    }

private:
    struct Slot {
        std::uint32_t index = 0;  // the value's number + 1; 0: empty
        std::uint32_t tag = 0;    // the hash's upper half: a probe rarely compares values it does not want
    };
    // std::hash of an integer or pointer is the value itself: spread it over all bits.
    static std::uint64_t mix(std::uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        return h ^ (h >> 33);
    }
    void grow() {
        const std::size_t n = slots_.empty() ? 64 : slots_.size() * 2;
        slots_.assign(n, Slot{});
        const std::size_t mask = n - 1;
        for (std::size_t v = 0; v < values_.size(); ++v) {
            const std::uint64_t h = mix(Hash{}(values_[v]));
            std::size_t i = h & mask;
            while (slots_[i].index != 0) i = (i + 1) & mask;
            slots_[i] = Slot{std::uint32_t(v + 1), std::uint32_t(h >> 32)};
        }
    }

    std::vector<Slot> slots_;
    std::deque<T> values_;  // never moved: references handed out stay valid
};

}  // namespace sockowner::attribution
