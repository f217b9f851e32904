#include "conversation_cache.hpp"

namespace sockowner::plugin {

std::size_t ConversationCache::KeyHash::operator()(const Key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the fields, not the padding
    auto mix = [&h](const void* p, std::size_t n) {
        auto b = static_cast<const std::uint8_t*>(p);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    mix(k.local.data(), 16);
    mix(k.remote.data(), 16);
    mix(&k.local_port, 2);
    mix(&k.remote_port, 2);
    mix(&k.proto, 1);
    mix(&k.family, 1);
    return std::size_t(h);
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
