// Retention on a big journal: what the collector's once-a-minute pass costs when a
// minute's intervals fall out of a week kept (--retain 7d).
//
// A journal of INTERVALS intervals spread over a week (1 in 100 lasting two hours,
// 1 000 processes) is written with SQL, then minute after minute falls out of the
// week, alternately through the baseline (the socket delete retention ran before:
// `closed < cut-off`, which no index answers) and through JournalWriter::apply_retention
// (the whole pass: sockets, processes no interval needs, incremental vacuum,
// checkpoint). Medians of ROUNDS of each; with --cold the page cache is dropped before
// each (root), as on a host where the journal is not in memory.
//
// usage: sockowner_retention_bench [INTERVALS=5000000] [ROUNDS=5] [DIR=/tmp] [--cold]
#include "sqlite.hpp"
#include "timeutil.hpp"
#include "writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace sockowner;

namespace {

constexpr TimeNs kT0 = 1'800'000'000LL * kNsPerSec;
constexpr TimeNs kWeek = 7 * 24 * 3600 * kNsPerSec;
constexpr TimeNs kMinute = 60 * kNsPerSec;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void drop_caches() {
    ::sync();
    std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
}

// The writer's schema, then `n` intervals over the week from kT0 with plain SQL.
void make_journal(const std::string& path, std::int64_t n) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    {
        JournalWriter w(path, WriterOptions{});
        w.begin_run("bench", "");
    }
    Db db(path, Db::Mode::read_write_create);
    db.set_step_budget(0);
    Transaction tx(db);
    db.exec(
        "WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < 1000) "
        "INSERT INTO processes (host_id, pid, start_ticks, start_time, comm, cmdline, first_seen, seq) "
        "SELECT 1, 100000 + k, k, " + std::to_string(kT0) + ", 'worker' || k, '/usr/bin/worker --id ' || k, " +
        std::to_string(kT0) + ", k FROM i");
    const TimeNs step = kWeek / n;
    db.exec(
        "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < " + std::to_string(n - 1) +
        ") INSERT INTO sockets (host_id, proto, family, local_addr, local_port, remote_addr, remote_port, "
        "process_id, source, opened, closed, seq) "
        "SELECT 1, 'tcp', 2, '10.0.0.1', 1024 + k % 60000, '10.1.0.1', 443, "
        "(SELECT min(id) FROM processes) + k % 1000, 'ebpf', " + std::to_string(kT0) + " + k * " +
        std::to_string(step) + ", " + std::to_string(kT0) + " + k * " + std::to_string(step) +
        " + CASE WHEN k % 100 = 0 THEN 7200000000000 ELSE 500000000 END, 1000 + k FROM i");
    tx.commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args;
    bool cold = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--cold") == 0) cold = true;
        else args.push_back(argv[i]);
    }
    std::int64_t n = args.size() > 0 ? std::atoll(args[0].c_str()) : 5'000'000;
    int rounds = args.size() > 1 ? std::atoi(args[1].c_str()) : 5;
    std::string dir = args.size() > 2 ? args[2] : "/tmp";
    if (n < 10'000 || rounds < 1) {
        std::fprintf(stderr, "usage: sockowner_retention_bench [INTERVALS>=10000] [ROUNDS] [DIR] [--cold]\n");
        return 2;
    }
    std::string path = dir + "/sockowner-retention-" + std::to_string(getpid()) + ".db";
    auto t0 = std::chrono::steady_clock::now();
    make_journal(path, n);
    std::printf("retention benchmark: %lld intervals over a week, %.1f MB, written in %.0f s; %s page cache\n",
                (long long)n, double(std::filesystem::file_size(path)) / 1e6,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                cold ? "cold (dropped before each pass)" : "warm");

    WriterOptions o;
    o.retain = kWeek;
    JournalWriter w(path, o);
    Db raw(path, Db::Mode::read_write_create);
    raw.set_step_budget(0);
    Stmt old_delete = raw.prepare("DELETE FROM sockets WHERE closed IS NOT NULL AND closed < ?");

    std::vector<double> baseline, ours;
    std::int64_t removed_base = 0, removed_ours = 0;
    TimeNs now = kT0 + kWeek;
    auto timed = [&](auto&& fn) {
        if (cold) drop_caches();
        auto t = std::chrono::steady_clock::now();
        fn();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    for (int r = 0; r < rounds; ++r) {
        now += kMinute;
        baseline.push_back(timed([&] {
            Transaction tx(raw);
            old_delete.bind(1, now - kWeek).run();
            removed_base += sqlite3_changes(raw.get());
            tx.commit();
        }));
        now += kMinute;
        ours.push_back(timed([&] { removed_ours += w.apply_retention(now); }));
    }
    double b = median(baseline), m = median(ours);
    std::printf("  baseline (closed < cut-off, no index)  %8.4f s a pass  (%lld rows removed in %d passes)\n", b,
                (long long)removed_base, rounds);
    std::printf("  apply_retention (whole pass)           %8.4f s a pass  (%lld rows removed in %d passes)  %.3fx\n",
                m, (long long)removed_ours, rounds, m / b);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return 0;
}
