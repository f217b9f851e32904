// Journal throughput: intervals written per second through JournalWriter against a
// bare SQLite insert loop (the baseline, same rows, same batch size), then the time to
// load them all into the lookup index the plugin uses, and lookups per second.
//
// usage: sockowner_journal_bench [INTERVALS=1000000] [RUNS=3] [DIR=/tmp]
#include "bench_stats.hpp"
#include "owner_index.hpp"
#include "reader.hpp"
#include "sqlite.hpp"
#include "timeutil.hpp"
#include "writer.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace sockowner;
using sockowner::bench::median;
using sockowner::bench::seconds_since;

namespace {

constexpr TimeNs kT0 = 1'800'000'000LL * kNsPerSec;
constexpr std::size_t kBatch = 20000;

// Interval i: a client connection from a rotating set of 1000 processes.
SocketRecord interval(int i) {
    SocketRecord s;
    s.proto = Proto::tcp;
    s.local = {IpAddr::v4(htonl(0x0a000001 + (i >> 16))), std::uint16_t(1024 + i % 60000)};
    s.remote = {IpAddr::v4(htonl(0x0a010001)), 443};
    s.opened = kT0 + TimeNs(i) * kNsPerMs;
    s.source = "ebpf";
    return s;
}

ProcessInfo process(int i) {
    ProcessInfo p;
    p.pid = 1000 + i % 1000;
    p.start_ticks = std::uint64_t(i % 1000);
    p.comm = "worker" + std::to_string(i % 1000);
    p.cmdline = "/usr/bin/worker --id " + std::to_string(i % 1000);
    p.exe = "/usr/bin/worker";
    p.user = "root";
    return p;
}

double write_journal(const std::string& path, int n) {
    std::filesystem::remove(path);
    auto t0 = std::chrono::steady_clock::now();
    {
        WriterOptions o;
        o.max_batch = kBatch;
        JournalWriter w(path, o);
        w.begin_run("bench", "");
        for (int i = 0; i < n; ++i) {
            auto id = w.open_socket(interval(i), process(i));
            w.close_socket(id, kT0 + TimeNs(i) * kNsPerMs + 500 * 1000);
        }
    }
    return seconds_since(t0);
}

// The baseline: the same values into one bare table, one INSERT per interval
// (opened and closed at once), transactions of the same size.
double write_bare(const std::string& path, int n) {
    std::filesystem::remove(path);
    auto t0 = std::chrono::steady_clock::now();
    Db db(path, Db::Mode::read_write_create);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
    db.exec("CREATE TABLE s (proto TEXT, family INT, la TEXT, lp INT, ra TEXT, rp INT, pid INT, comm TEXT, "
            "source TEXT, opened INT, closed INT)");
    Stmt ins = db.prepare("INSERT INTO s VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    for (int i = 0; i < n;) {
        Transaction tx(db);
        for (std::size_t k = 0; k < kBatch / 2 && i < n; ++k, ++i) {
            SocketRecord s = interval(i);
            ProcessInfo p = process(i);
            ins.bind(1, "tcp").bind(2, 4).bind(3, s.local.addr.to_string()).bind(4, s.local.port);
            ins.bind(5, s.remote.addr.to_string()).bind(6, s.remote.port).bind(7, p.pid).bind(8, p.comm);
            ins.bind(9, "ebpf").bind(10, s.opened).bind(11, s.opened + 500 * 1000).run();
        }
        tx.commit();
    }
    return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
    int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    std::string dir = argc > 3 ? argv[3] : "/tmp";
    std::string path = dir + "/sockowner-bench-" + std::to_string(getpid()) + ".db";
    std::string bare = path + ".bare";

    std::vector<double> journal, baseline, load, lookup;
    std::size_t found = 0;
    for (int r = 0; r < runs; ++r) {
        baseline.push_back(write_bare(bare, n));
        journal.push_back(write_journal(path, n));

        auto t0 = std::chrono::steady_clock::now();
        OwnerIndex index;
        JournalReader reader(path);
        reader.sockets_since({}, [&](const SocketRow& row) { index.upsert(row); });
        load.push_back(seconds_since(t0));

        std::mt19937 rng(42);
        constexpr int kLookups = 1'000'000;
        t0 = std::chrono::steady_clock::now();
        found = 0;
        for (int k = 0; k < kLookups; ++k) {
            int i = int(rng() % unsigned(n));
            SocketRecord s = interval(i);
            found += index.find(OwnerQuery{Proto::tcp, s.local, s.remote, s.opened + 1000}, MatchOptions{}).has_value();
        }
        lookup.push_back(seconds_since(t0) / kLookups);
    }
    auto size = std::filesystem::file_size(path);
    std::filesystem::remove(path);
    std::filesystem::remove(bare);
    for (const char* suffix : {"-wal", "-shm"}) {
        std::filesystem::remove(path + suffix);
        std::filesystem::remove(bare + suffix);
    }

    double j = median(journal), b = median(baseline);
    std::printf("journal benchmark: %d intervals, %d runs, medians\n", n, runs);
    std::printf("  bare SQLite insert (baseline)   %8.2f s  %10.0f intervals/s\n", b, n / b);
    std::printf("  JournalWriter (open + close)    %8.2f s  %10.0f intervals/s  %.2fx baseline time\n", j, n / j,
                j / b);
    std::printf("  journal file                    %8.1f MB (%.0f bytes per interval)\n", size / 1e6,
                double(size) / n);
    std::printf("  load into the lookup index      %8.2f s\n", median(load));
    std::printf("  lookup                          %8.0f ns each (%zu of 1000000 found)\n", median(lookup) * 1e9, found);
    return found == 1'000'000 ? 0 : 1;
}
