// A socket tuple as a hash key: the lookup index and the plugin's flow cache share it.
#pragma once

#include "types.hpp"

#include <cstring>

namespace sockowner {

struct TupleKey {
    std::array<std::uint8_t, 16> local{}, remote{};
    std::uint16_t local_port = 0, remote_port = 0;
    std::uint8_t proto = 0, local_family = 0, remote_family = 0;

    static TupleKey of(Proto p, const Endpoint& l, const Endpoint& r) {
        TupleKey k;
        k.local = l.addr.bytes();
        k.remote = r.addr.bytes();
        k.local_port = l.port;
        k.remote_port = r.port;
        k.proto = std::uint8_t(p);
        k.local_family = std::uint8_t(l.addr.family());
        k.remote_family = std::uint8_t(r.addr.family());
        return k;
    }
    // Word by word: the defaulted == compares the arrays through memcmp calls, and this
    // runs for every packet (the flow cache) and every journal row (the index).
    friend bool operator==(const TupleKey& a, const TupleKey& b) {
        std::uint64_t x[4], y[4];
        std::memcpy(x, a.local.data(), 16);
        std::memcpy(x + 2, a.remote.data(), 16);
        std::memcpy(y, b.local.data(), 16);
        std::memcpy(y + 2, b.remote.data(), 16);
        return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0 && a.local_port == b.local_port &&
               a.remote_port == b.remote_port && a.proto == b.proto && a.local_family == b.local_family &&
               a.remote_family == b.remote_family;
    }
};

// Both directions of a flow as one key: the tuple with its endpoints in a fixed order
// (family, address words, port; any total order does), and whether the packet's
// source is the end that sorts second.
struct FlowKey {
    TupleKey key;
    bool reversed = false;

    static bool sorts_after(const Endpoint& a, const Endpoint& b) {
        if (a.addr.family() != b.addr.family()) return a.addr.family() > b.addr.family();
        std::uint64_t x[2], y[2];
        std::memcpy(x, a.addr.bytes().data(), 16);
        std::memcpy(y, b.addr.bytes().data(), 16);
        if (x[0] != y[0]) return x[0] > y[0];
        if (x[1] != y[1]) return x[1] > y[1];
        return a.port > b.port;
    }
    static FlowKey of(Proto p, const Endpoint& src, const Endpoint& dst) {
        bool swap = sorts_after(src, dst);
        return {swap ? TupleKey::of(p, dst, src) : TupleKey::of(p, src, dst), swap};
    }
};

struct TupleKeyHash {
    // Word-wise multiply-xorshift over the fields (not the padding): it runs per packet.
    std::size_t operator()(const TupleKey& k) const noexcept {
        std::uint64_t w[4];
        std::memcpy(w, k.local.data(), 16);
        std::memcpy(w + 2, k.remote.data(), 16);
        std::uint64_t h = std::uint64_t(k.local_port) << 32 ^ std::uint64_t(k.remote_port) << 16 ^
                          std::uint64_t(k.proto) << 8 ^ std::uint64_t(k.local_family * 16 + k.remote_family);
        for (std::uint64_t x : w) h = (h ^ x ^ (h >> 31)) * 0x9E3779B97F4A7C15ull;
        return std::size_t(h ^ (h >> 29));
    }
};

}  // namespace sockowner
