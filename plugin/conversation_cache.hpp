// The owner each flow had, by direction: a packet the journal cannot place any more
// (a FIN or the last ACK after its socket's interval ended) keeps its flow's owner.
#pragma once

#include "side_owner.hpp"
#include "tuple_key.hpp"
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
    struct Entry {
        SideOwner owner;
        TimeNs last;
    };

    TimeNs idle_;
    std::unordered_map<TupleKey, Entry, TupleKeyHash> flows_;
};

}  // namespace sockowner::plugin
