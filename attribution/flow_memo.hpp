// The last answer for each recent flow (both directions under one FlowKey): a
// capture's packets come in runs of a few flows at a time, and a flow's next packet,
// either way, mostly has the same owners (Attributor::again() says when).
// Direct-mapped: a flow pushed out by another that hashes to its slot is attributed
// in full again, nothing worse.
#pragma once

#include "tuple_key.hpp"

#include <cstddef>
#include <vector>

namespace sockowner::attribution {

template <class Value>
class FlowMemo {
public:
    // The value put for `key`, or nullptr.
    Value* find(const TupleKey& key) {
        Slot& s = slot(key);
        return s.used && s.key == key ? &s.value : nullptr;
    }
    void put(const TupleKey& key, const Value& value) { slot(key) = Slot{key, value, true}; }
    void clear() {
        for (Slot& s : slots_) s.used = false;
    }

private:
    static constexpr std::size_t kSlots = 1024;  // flows at a time; ~150 KiB
    struct Slot {
        TupleKey key;
        Value value{};
        bool used = false;
    };
    Slot& slot(const TupleKey& key) { return slots_[TupleKeyHash{}(key) & (kSlots - 1)]; }
    std::vector<Slot> slots_ = std::vector<Slot>(kSlots);  // on the heap: owners may live on the stack
};

}  // namespace sockowner::attribution
