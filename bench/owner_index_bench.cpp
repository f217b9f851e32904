// Lookup cost against the length of a tuple's history: one client tuple reused for
// 10, 1 000, 10 000 and 100 000 intervals one after another (a busy local port over a
// week), among 100 000 other tuples; lookups at random times over the whole history,
// half of them between intervals (a near match or none). Reports the median time per
// lookup of RUNS runs and the ratio to the 10-interval tuple, measured in the same run.
//
// usage: sockowner_owner_index_bench [RUNS=5] [LOOKUPS=200000]
#include "bench_stats.hpp"
#include "owner_index.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace sockowner;
using sockowner::bench::median;

namespace {

constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kT0 = 1'800'000'000LL * kSec;

Endpoint v4(std::uint32_t addr, std::uint16_t port) { return {IpAddr::v4(htonl(addr)), port}; }

struct Tuple {
    Endpoint local, remote;
    int intervals;
};

// Interval i of a tuple: opened every 10 s, open for 5 s.
void fill(OwnerIndex& index, std::int64_t& id, const Tuple& t) {
    for (int i = 0; i < t.intervals; ++i) {
        SocketRow r;
        r.id = ++id;
        r.process_id = id;
        r.s.proto = Proto::tcp;
        r.s.local = t.local;
        r.s.remote = t.remote;
        r.s.opened = kT0 + TimeNs(i) * 10 * kSec;
        r.s.closed = r.s.opened + 5 * kSec;
        index.upsert(r);
    }
}

// Nanoseconds per lookup of `t` at `lookups` random times over its history: in random
// order (the worst case: every lookup lands elsewhere in memory), or in time order (as
// the packets of a capture come).
double time_lookups(const OwnerIndex& index, const Tuple& t, int lookups, bool in_order, std::mt19937_64& rng,
                    long& found) {
    std::vector<TimeNs> at(static_cast<std::size_t>(lookups));
    for (TimeNs& a : at) a = kT0 + TimeNs(rng() % std::uint64_t(TimeNs(t.intervals) * 10 * kSec));
    if (in_order) std::sort(at.begin(), at.end());
    auto t0 = std::chrono::steady_clock::now();
    for (TimeNs a : at)
        if (index.find(OwnerQuery{Proto::tcp, t.local, t.remote, a}, MatchOptions{})) ++found;
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / lookups;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::atoi(argv[1]) : 5;
    int lookups = argc > 2 ? std::atoi(argv[2]) : 200000;
    const Tuple tuples[] = {
        {v4(0x0a000001, 40000), v4(0x0a000002, 443), 10},
        {v4(0x0a000001, 40001), v4(0x0a000002, 443), 1000},
        {v4(0x0a000001, 40002), v4(0x0a000002, 443), 10000},
        {v4(0x0a000001, 40003), v4(0x0a000002, 443), 100000},
    };
    OwnerIndex index;
    std::int64_t id = 0;
    for (int i = 0; i < 100000; ++i)  // other tuples: one interval each
        fill(index, id, Tuple{v4(0x0b000000 + std::uint32_t(i), std::uint16_t(1024 + i % 60000)), v4(0x0a000002, 443), 1});
    for (const Tuple& t : tuples) fill(index, id, t);
    std::printf("index: %zu intervals\n", index.size());

    std::mt19937_64 rng(1);
    constexpr std::size_t n = std::size(tuples);
    std::vector<std::vector<double>> ns[2] = {std::vector<std::vector<double>>(n), std::vector<std::vector<double>>(n)};
    long found = 0;
    for (int r = 0; r < runs; ++r)  // the tuples and orders in turn within each run
        for (int in_order = 0; in_order < 2; ++in_order)
            for (std::size_t k = 0; k < n; ++k)
                ns[in_order][k].push_back(time_lookups(index, tuples[k], lookups, in_order, rng, found));
    std::printf("%-22s %26s %26s\n", "", "random order", "time order");
    std::printf("%-22s %14s %11s %14s %11s\n", "intervals on the tuple", "ns per lookup", "vs 10", "ns per lookup",
                "vs 10");
    for (std::size_t k = 0; k < n; ++k) {
        std::printf("%-22d", tuples[k].intervals);
        for (int o = 0; o < 2; ++o)
            std::printf(" %14.1f %10.2fx", median(ns[o][k]), median(ns[o][k]) / median(ns[o][0]));
        std::printf("\n");
    }
    std::printf("(medians of %d runs of %d lookups each; %.0f%% found an owner)\n", runs, lookups,
                100.0 * double(found) / double(runs * lookups * 2 * int(n)));
    return 0;
}
