#include "conversation_cache.hpp"

namespace sockowner::plugin {

void ConversationCache::remember(Proto proto, const Endpoint& local, const Endpoint& remote,
                                 const SideOwner& owner, TimeNs at) {
    SideOwner o = owner;
    o.how = How::conversation;
    Entry& e = flows_[TupleKey::of(proto, local, remote)];
    e.owner = o;
    e.last = at;
}

std::optional<SideOwner> ConversationCache::recall(Proto proto, const Endpoint& local, const Endpoint& remote,
                                                   TimeNs at) {
    auto it = flows_.find(TupleKey::of(proto, local, remote));
    if (it == flows_.end()) return std::nullopt;
    Entry& e = it->second;
    TimeNs gap = at >= e.last ? at - e.last : e.last - at;
    if (gap > idle_) return std::nullopt;
    if (at > e.last) e.last = at;
    return e.owner;
}

}  // namespace sockowner::plugin
