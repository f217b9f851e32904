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
// With --size, the limit is --max-size instead, as in a steady state: the limit is the
// journal's size, and before each pass the writer adds intervals until the journal is
// 2 % over it (untimed);
// the pass shrinks it back under the limit, alternately through the steps retention
// made before (a count of the closed rows, the oldest n of them by closing: sorting
// them all) and through apply_retention (whose first pass counts the rows, once),
// called until it has no step left, as the collector does; and its longest call.
//
// usage: sockowner_retention_bench [INTERVALS=5000000] [ROUNDS=5] [DIR=/tmp] [--cold] [--size]
#include "bench_stats.hpp"
#include "schema.hpp"
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
using sockowner::bench::median;
using sockowner::bench::seconds_since;

namespace {

constexpr TimeNs kT0 = 1'800'000'000LL * kNsPerSec;
constexpr TimeNs kWeek = 7 * 24 * 3600 * kNsPerSec;
constexpr TimeNs kMinute = 60 * kNsPerSec;

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
    db.exec(schema::kCountSocketRefsSql);  // what the writer keeps for each process
    tx.commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

std::int64_t file_size(Db& db, const std::string& path) {
    Stmt st = db.prepare("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    std::int64_t size = st.step() ? st.i64(0) : 0;
    st.reset();
    std::error_code ec;
    auto wal = std::filesystem::file_size(path + "-wal", ec);
    return size + (ec ? 0 : std::int64_t(wal));
}

// The baseline for --size: how the writer shrank a journal before, step for step.
std::int64_t old_shrink(Db& db, const std::string& path, std::int64_t max_size) {
    std::int64_t removed = 0;
    for (int round = 0; round < 64; ++round) {
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        std::int64_t size = file_size(db, path);
        if (size <= max_size) break;
        Stmt count = db.prepare("SELECT count(*) FROM sockets WHERE closed IS NOT NULL");
        std::int64_t closed = count.step() ? count.i64(0) : 0;
        count.reset();
        if (closed == 0) break;
        double excess = double(size - max_size) / double(size);
        auto n = std::max<std::int64_t>(1, std::int64_t(double(closed) * std::min(1.0, excess + 0.02)));
        Transaction tx(db);
        db.prepare("DELETE FROM sockets WHERE id IN (SELECT id FROM sockets WHERE closed IS NOT NULL ORDER BY closed "
                   "LIMIT ?)")
            .bind(1, n)
            .run();
        removed += sqlite3_changes(db.get());
        tx.commit();
        db.exec("PRAGMA incremental_vacuum");
    }
    return removed;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args;
    bool cold = false, by_size = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--cold") == 0) cold = true;
        else if (std::strcmp(argv[i], "--size") == 0) by_size = true;
        else args.push_back(argv[i]);
    }
    std::int64_t n = args.size() > 0 ? std::atoll(args[0].c_str()) : 5'000'000;
    int rounds = args.size() > 1 ? std::atoi(args[1].c_str()) : 5;
    std::string dir = args.size() > 2 ? args[2] : "/tmp";
    if (n < 10'000 || rounds < 1) {
        std::fprintf(stderr, "usage: sockowner_retention_bench [INTERVALS>=10000] [ROUNDS] [DIR] [--cold] [--size]\n");
        return 2;
    }
    std::string path = dir + "/sockowner-retention-" + std::to_string(getpid()) + ".db";
    auto t0 = std::chrono::steady_clock::now();
    make_journal(path, n);
    std::printf("retention benchmark (%s): %lld intervals over a week, %.1f MB, written in %.0f s; %s page cache\n",
                by_size ? "--max-size, 2 % over" : "--retain 7d, a minute", (long long)n, double(std::filesystem::file_size(path)) / 1e6,
                seconds_since(t0),
                cold ? "cold (dropped before each pass)" : "warm");

    Db raw(path, Db::Mode::read_write_create);
    raw.set_step_budget(0);
    std::vector<double> baseline, ours;
    std::int64_t removed_base = 0, removed_ours = 0;
    double longest = 0;  // --size: the longest single call (events wait meanwhile)
    auto timed = [&](auto&& fn) {
        if (cold) drop_caches();
        auto t = std::chrono::steady_clock::now();
        fn();
        return seconds_since(t);
    };
    if (by_size) {
        WriterOptions o;
        o.max_size = file_size(raw, path);
        JournalWriter w(path, o);
        w.begin_run("bench", "");
        TimeNs t = kT0 + kWeek;
        auto grow = [&] {  // new connections, after everything else, until 2 % over the limit
            for (;;) {
                raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // the log's pages into the file: its real size
                if (file_size(raw, path) >= o.max_size + o.max_size / 50) break;
                for (std::int64_t k = 0; k < n / 500; ++k, t += kNsPerMs) {
                    SocketRecord s;
                    s.proto = Proto::tcp;
                    s.local = {IpAddr::v4(0x0100000a), std::uint16_t(1024 + k % 60000)};
                    s.remote = {IpAddr::v4(0x0101000a), 443};
                    s.opened = t;
                    s.source = "ebpf";
                    ProcessInfo p;
                    p.pid = int(200000 + k % 1000);
                    p.start_ticks = std::uint64_t(k % 1000);
                    p.comm = "worker";
                    w.close_socket(w.open_socket(s, p), t + 500 * kNsPerMs);
                }
                w.flush();
            }
        };
        for (int r = 0; r < rounds; ++r) {
            grow();
            baseline.push_back(timed([&] { removed_base += old_shrink(raw, path, o.max_size); }));
            grow();
            ours.push_back(timed([&] {
                do {  // in steps (WriterOptions::retention_step), as the collector calls it
                    auto c = std::chrono::steady_clock::now();
                    removed_ours += w.apply_retention(t);
                    longest = std::max(longest, seconds_since(c));
                } while (w.retention_unfinished());
            }));
        }
    } else {
        WriterOptions o;
        o.retain = kWeek;
        JournalWriter w(path, o);
        Stmt old_delete = raw.prepare("DELETE FROM sockets WHERE closed IS NOT NULL AND closed < ?");
        TimeNs now = kT0 + kWeek;
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
    }
    double b = median(baseline), m = median(ours);
    std::printf("  baseline (before: no index)            %8.4f s a pass  (%lld rows removed in %d passes)\n", b,
                (long long)removed_base, rounds);
    std::printf("  apply_retention (whole pass)           %8.4f s a pass  (%lld rows removed in %d passes)  %.3fx\n",
                m, (long long)removed_ours, rounds, m / b);
    if (by_size) std::printf("  longest single apply_retention() call  %8.4f s\n", longest);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return 0;
}
