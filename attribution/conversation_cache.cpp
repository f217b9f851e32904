#include "conversation_cache.hpp"

#include "timeutil.hpp"

#include <algorithm>

namespace sockowner::attribution {

void ConversationCache::clear() {
    slots_ = {};
    flows_ = {};
    sides_ = 0;
    last_ = kNone;
    newest_ = INT64_MIN;
    ++generation_;
}

void ConversationCache::rehash(std::size_t slots) {
    slots_.assign(slots, Slot{});
    std::size_t mask = slots - 1;
    for (std::size_t f = 0; f < flows_.size(); ++f) {
        std::uint64_t h = TupleKeyHash{}(flows_[f].key);
        std::size_t i = h & mask;
        while (slots_[i].index != 0) i = (i + 1) & mask;
        slots_[i] = Slot{std::uint32_t(f + 1), std::uint32_t(h >> 32)};
    }
}

void ConversationCache::make_room() {
    // Flows idle for longer than twice `idle` (their owner can no longer be recalled,
    // even by a packet somewhat out of order) leave.
    const TimeNs horizon = newest_ > INT64_MIN + 2 * idle_ ? newest_ - 2 * idle_ : INT64_MIN;
    auto stale = [horizon](const Flow& f) {
        return std::max(f.side[0].last, f.side[0].asked) < horizon && std::max(f.side[1].last, f.side[1].asked) < horizon;
    };
    const auto kept_flows = std::size_t(std::count_if(flows_.begin(), flows_.end(), [&](const Flow& f) { return !stale(f); }));
    std::size_t slots = 1024;
    while ((kept_flows + 1) * 4 > slots) slots *= 2;  // at most a quarter full after a sweep
    // Room for every flow until the next sweep (at half full): the array is not
    // moved again as it grows, which would copy every flow once more.
    LargeArray<Flow> kept;
    kept.reserve(slots / 2);
    std::size_t sides = 0;
    for (const Flow& f : flows_) {
        if (stale(f)) continue;
        kept.push_back(f);
        sides += f.side[0].owner.known() + f.side[1].owner.known();
    }
    flows_ = std::move(kept);
    sides_ = sides;
    last_ = kNone;
    ++generation_;
    rehash(slots);
}

std::uint32_t ConversationCache::locate(Proto proto, const Endpoint& local, const Endpoint& remote, bool insert,
                                        int& side) {
    auto [key, swapped] = FlowKey::of(proto, local, remote);
    side = swapped ? 1 : 0;
    if (last_ != kNone && flows_[last_].key == key) return last_;
    if (insert && (flows_.size() + 1) * 2 > slots_.size()) make_room();  // at most half full
    if (slots_.empty()) return kNone;
    std::uint64_t h = TupleKeyHash{}(key);
    auto tag = std::uint32_t(h >> 32);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        Slot& s = slots_[i];
        if (s.index == 0) {
            if (!insert) return kNone;
            flows_.push_back(Flow{key, {}});
            s.index = std::uint32_t(flows_.size());
            s.tag = tag;
            return last_ = s.index - 1;
        }
        if (s.tag == tag && flows_[s.index - 1].key == key) return last_ = s.index - 1;
    }
}

void ConversationCache::remember(Proto proto, const Endpoint& local, const Endpoint& remote,
                                 const SideOwner& owner, TimeNs at) {
    int side = 0;
    if (at > newest_) newest_ = at;
    note_owner(flows_[locate(proto, local, remote, true, side)].side[side], owner, at);
}

void ConversationCache::note_owner(Side& s, const SideOwner& owner, TimeNs at) {
    if (!s.owner.known()) ++sides_;
    s.owner = owner;
    s.owner.how = How::conversation;
    s.last = at;
}

std::optional<SideOwner> ConversationCache::recall(Proto proto, const Endpoint& local, const Endpoint& remote,
                                                   TimeNs at) {
    int side = 0;
    std::uint32_t f = locate(proto, local, remote, false, side);
    if (f == kNone) return std::nullopt;
    Side& s = flows_[f].side[side];
    if (!s.owner.known()) return std::nullopt;
    TimeNs gap = time_distance(at, s.last);
    if (gap > idle_) return std::nullopt;
    if (at > s.last) s.last = at;
    if (at > newest_) newest_ = at;
    return s.owner;
}

const SideOwner* ConversationCache::answered(Proto proto, const Endpoint& local, const Endpoint& remote, TimeNs at,
                                            std::uint64_t stamp, AnswerSpan* span) {
    int side = 0;
    std::uint32_t f = locate(proto, local, remote, false, side);
    if (f == kNone) return nullptr;
    Side& s = flows_[f].side[side];
    if (s.stamp != stamp || at < s.span.from || at > s.span.to) return nullptr;
    touch(f, side, s.answer, at);
    if (span) *span = s.span;
    return &s.answer;
}

void ConversationCache::touch(std::uint32_t flow, int side, const SideOwner& answer, TimeNs at) {
    Side& s = flows_[flow].side[side];
    s.asked = std::max(s.asked, at);
    if (at > newest_) newest_ = at;
    if (answer.known()) note_owner(s, answer, at);
}

void ConversationCache::remember_answer(Proto proto, const Endpoint& local, const Endpoint& remote,
                                        const SideOwner& answer, AnswerSpan span, std::uint64_t stamp, TimeNs at) {
    int side = 0;
    if (at > newest_) newest_ = at;
    Side& s = flows_[locate(proto, local, remote, true, side)].side[side];
    s.answer = answer;
    s.span = span;
    s.stamp = stamp;
    s.asked = std::max(s.asked, at);
    if (answer.known()) note_owner(s, answer, at);
}

}  // namespace sockowner::attribution
