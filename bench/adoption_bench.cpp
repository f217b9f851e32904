// A collector's start with many sockets open: the earlier run left N intervals open
// and the new run sees the same N sockets again. Timed: reading the open intervals,
// adopting each by its identity as the start-up snapshot observes it, ending the
// rest and committing. Baseline, in the same run: the same N sockets observed by a
// collector starting on an empty journal (N new intervals written).
//
// usage: sockowner_adoption_bench [SOCKETS=100000] [RUNS=5] [DIR=/tmp]
#include "bench_stats.hpp"
#include "ownership_table.hpp"
#include "socket_ident.hpp"
#include "timeutil.hpp"
#include "writer.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace sockowner;
using sockowner::bench::median;
using sockowner::bench::seconds_since;

namespace {

constexpr TimeNs kT0 = 1'800'000'000LL * kNsPerSec;

// Socket i: a server's accepted connection, owned by one of 100 workers.
SocketRecord socket_rec(int i) {
    SocketRecord s;
    s.proto = Proto::tcp;
    s.local = {IpAddr::v4(htonl(0x0a000001)), 443};
    s.remote = {IpAddr::v4(htonl(0x0a010001 + (i >> 16))), std::uint16_t(1024 + i % 60000)};
    s.cookie = std::uint64_t(i + 1);
    s.opened = kT0 + TimeNs(i) * 1000;
    s.source = "ebpf";
    return s;
}

ProcessInfo worker(int i) {
    ProcessInfo p;
    p.pid = 2000 + i % 100;
    p.start_ticks = std::uint64_t(i % 100);
    p.comm = "worker";
    p.exe = "/usr/sbin/worker";
    return p;
}

void observe_all(OwnershipTable& t, int n) {
    for (int i = 0; i < n; ++i) {
        SocketRecord s = socket_rec(i);
        s.opened = kT0 + 3600 * kNsPerSec;  // as the snapshot dates what it finds
        t.observe(s.cookie, s, worker(i));
    }
}

double timed(const std::string& path, int n, bool adopt) {
    auto t0 = std::chrono::steady_clock::now();
    JournalWriter w(path);
    OwnershipTable t(w);
    if (adopt) t.offer_adoption(w.take_open_intervals());
    observe_all(t, n);
    t.close_unadopted(kT0 + 3600 * kNsPerSec);
    w.flush();
    double secs = seconds_since(t0);
    if (adopt && t.adopted_total() != std::uint64_t(n)) {
        std::fprintf(stderr, "adopted %llu of %d\n", (unsigned long long)t.adopted_total(), n);
        std::exit(1);
    }
    return secs;
}

}  // namespace

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 100000;
    int runs = argc > 2 ? std::atoi(argv[2]) : 5;
    std::string dir = argc > 3 ? argv[3] : "/tmp";
    std::string left_open = dir + "/sockowner-adoption-" + std::to_string(getpid()) + ".db";
    std::string empty = left_open + ".empty";
    {
        JournalWriter w(left_open);
        for (int i = 0; i < n; ++i) w.open_socket(socket_rec(i), worker(i));
        w.flush();
    }  // the earlier run stops with all N open
    std::vector<double> adopt, fresh;
    for (int r = 0; r < runs; ++r) {  // alternating, so that both see the same machine
        adopt.push_back(timed(left_open, n, true));
        for (auto& suffix : {"", "-wal", "-shm"}) std::filesystem::remove(empty + suffix);
        fresh.push_back(timed(empty, n, false));
    }
    double a = median(adopt), f = median(fresh);
    std::printf("%d sockets open at start, median of %d runs:\n", n, runs);
    std::printf("  adopting the earlier run's intervals: %.3f s\n", a);
    std::printf("  baseline, an empty journal (all new): %.3f s\n", f);
    std::printf("  ratio: %.2fx\n", a / f);
    for (auto& path : {left_open, empty})
        for (auto& suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return a < 1.0 ? 0 : 1;
}
