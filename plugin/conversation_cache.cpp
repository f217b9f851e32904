#include "conversation_cache.hpp"

#include <cstring>

namespace sockowner::plugin {

std::size_t ConversationCache::KeyHash::operator()(const Key& k) const noexcept {
    // Word-wise multiply-xorshift: this runs for every packet.
    std::uint64_t w[4];
    std::memcpy(w, k.local.data(), 16);
    std::memcpy(w + 2, k.remote.data(), 16);
    std::uint64_t h = std::uint64_t(k.local_port) << 32 ^ std::uint64_t(k.remote_port) << 16 ^ k.proto << 8 ^ k.family;
    for (std::uint64_t x : w) h = (h ^ x ^ (h >> 31)) * 0x9E3779B97F4A7C15ull;
    return std::size_t(h ^ (h >> 29));
}

ConversationCache::Key ConversationCache::make_key(Proto proto, const Endpoint& local, const Endpoint& remote) {
    Key k{};
    k.local = local.addr.bytes();
    k.remote = remote.addr.bytes();
    k.local_port = local.port;
    k.remote_port = remote.port;
    k.proto = std::uint8_t(proto);
    k.family = std::uint8_t(local.addr.family() * 16 + remote.addr.family());
    return k;
}

void ConversationCache::remember(Proto proto, const Endpoint& local, const Endpoint& remote,
                                 const SideOwner& owner, TimeNs at) {
    SideOwner o = owner;
    o.how = How::conversation;
    Entry& e = flows_[make_key(proto, local, remote)];
    e.owner = o;
    e.last = at;
}

std::optional<SideOwner> ConversationCache::recall(Proto proto, const Endpoint& local, const Endpoint& remote,
                                                   TimeNs at) {
    auto it = flows_.find(make_key(proto, local, remote));
    if (it == flows_.end()) return std::nullopt;
    Entry& e = it->second;
    TimeNs gap = at >= e.last ? at - e.last : e.last - at;
    if (gap > idle_) return std::nullopt;
    if (at > e.last) e.last = at;
    return e.owner;
}

}  // namespace sockowner::plugin
