// The owner each flow had, by direction: a packet the journal cannot place any more
// (a FIN or the last ACK after its socket's interval ended) keeps its flow's owner.
#pragma once

#include "side_owner.hpp"
#include "types.hpp"

#include <array>
#include <optional>
#include <unordered_map>

namespace sockowner::plugin {

class ConversationCache {
public:
    // A flow silent for longer than `idle` is over: a later packet on the tuple is another flow.
    explicit ConversationCache(TimeNs idle) : idle_(idle) {}

    // The socket with local end `local` and remote end `remote` belonged to `owner` at `at`.
    void remember(Proto proto, const Endpoint& local, const Endpoint& remote, const SideOwner& owner, TimeNs at);
    // The owner of the flow's earlier packets, when the last was at most `idle` before `at`.
    std::optional<SideOwner> recall(Proto proto, const Endpoint& local, const Endpoint& remote, TimeNs at);

    std::size_t size() const { return flows_.size(); }
    void clear() { flows_.clear(); }

private:
    struct Key {
        std::array<std::uint8_t, 16> local, remote;
        std::uint16_t local_port, remote_port;
        std::uint8_t proto, family;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct Entry {
        SideOwner owner;
        TimeNs last;
    };
    static Key make_key(Proto proto, const Endpoint& local, const Endpoint& remote);

    TimeNs idle_;
    std::unordered_map<Key, Entry, KeyHash> flows_;
};

}  // namespace sockowner::plugin
