// The journal file: creation, round trip through writer and reader, its change feed,
// identification, damage, adoption of intervals left open, permissions (retention:
// test_journal_retention.cpp; older versions and their upgrade: test_journal_schema.cpp).
#include "reader.hpp"
#include "schema.hpp"
#include "test_helpers.hpp"
#include "timeutil.hpp"
#include "writer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

bool throws_with(const std::function<void()>& fn, const std::string& needle) {
    try {
        fn();
    } catch (const JournalError& e) {
        if (std::string(e.what()).find(needle) != std::string::npos) return true;
        print_error("unexpected message: %s\n", e.what());
        return false;
    }
    return false;
}

void round_trip(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "test");
        auto curl = process(4242, 100, "curl");
        auto py = process(17, 5, "python3");
        auto a = w.open_socket(sock(Proto::tcp, "127.0.0.1:5555", "127.0.0.1:8000", kT0), curl);
        w.open_socket(sock(Proto::tcp, "[::1]:8000", "[::]:0", kT0, std::nullopt, "ebpf"), py);
        w.open_socket(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0), py);
        w.close_socket(a, kT0 + 3 * kSec);
        w.set_counter("events", 42);
        w.flush();
    }
    JournalReader r(path);
    auto rows = all_sockets(r);
    assert_int_equal(rows.size(), 3);
    assert_str_eq(format_endpoint(rows[0].s.local), "127.0.0.1:5555");
    assert_true(rows[0].s.closed.has_value());  // the close is the latest change: same row
    assert_int_equal(*rows[0].s.closed, kT0 + 3 * kSec);
    assert_str_eq(format_endpoint(rows[1].s.local), "[::1]:8000");
    assert_str_eq(rows[1].s.source, "ebpf");
    assert_int_equal(rows[1].s.family, 6);
    auto p = r.process(rows[0].process_id);
    assert_true(p.has_value());
    assert_str_eq(p->p.comm, "curl");
    assert_int_equal(p->p.pid, 4242);
    assert_str_eq(p->p.cmdline, "curl --flag");
    assert_int_equal(rows[1].process_id, rows[2].process_id);  // one row per process

    auto runs = r.runs();
    assert_int_equal(runs.size(), 1);
    assert_str_eq(runs[0].mode, "procfs");
    assert_true(runs[0].stopped.has_value());
    auto counters = r.counters(runs[0].id);
    assert_int_equal(counters.size(), 1);
    assert_int_equal(counters[0].second, 42);

    // The incremental feed returns only rows added or changed since where it stood.
    SocketFeed last = r.sockets_since({}, [](const SocketRow&) {});
    std::size_t n = 0;
    assert_true(r.sockets_since(last, [&](const SocketRow&) { ++n; }) == last);
    assert_int_equal(n, 0);
}

void rows_visible_only_after_flush(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    w.begin_run("procfs", "");
    w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), process(1, 1, "a"));
    assert_true(w.flush_deadline() <= wall_now() + 20 * 1'000'000);
    JournalReader r(path);
    assert_int_equal(all_sockets(r).size(), 0);
    TimeNs before = wall_now();
    w.flush();
    TimeNs after = wall_now();
    assert_int_equal(all_sockets(r).size(), 1);  // a concurrent reader sees the commit
    assert_int_equal(w.flush_deadline(), INT64_MAX);
    // Under load, commits are at least 50 ms apart: the next waits for that.
    w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0), process(1, 1, "a"));
    assert_true(w.flush_deadline() >= before + 50 * 1'000'000);
    assert_true(w.flush_deadline() <= after + 50 * 1'000'000);
}

void file_mode_is_0640(void**) {
    ScratchDir dir;
    auto path = dir.file("sub/dir/j.db");  // parent directories are created
    { JournalWriter w(path); }
    struct stat st{};
    assert_int_equal(::stat(path.c_str(), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

void refuses_files_that_are_not_journals(void**) {
    ScratchDir dir;
    auto text = dir.file("notes.txt");
    std::ofstream(text) << "hello, this is not a database at all, just some text\n";
    assert_true(throws_with([&] { JournalReader r(text); }, "not a sockowner journal"));
    assert_true(throws_with([&] { JournalWriter w(text); }, "not a sockowner journal"));
    std::ifstream in(text);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    assert_str_eq(content, "hello, this is not a database at all, just some text\n");  // untouched

    auto other = dir.file("other.db");
    {
        Db db(other, Db::Mode::read_write_create);
        db.exec("CREATE TABLE t (x)");
    }
    assert_true(throws_with([&] { JournalReader r(other); }, "not a sockowner journal"));
    assert_true(throws_with([&] { JournalWriter w(other); }, "not a sockowner journal"));

    assert_true(throws_with([&] { JournalReader r(dir.file("missing.db")); }, "No such file"));
    assert_false(std::filesystem::exists(dir.file("missing.db")));  // a reader creates nothing
    assert_true(throws_with([&] { JournalReader r(dir.file("")); }, "not a regular file"));
}

void refuses_newer_schema(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    { JournalWriter w(path); }
    {
        Db db(path, Db::Mode::read_write_create);
        db.exec("PRAGMA user_version = " + std::to_string(schema::kVersion + 1));
    }
    assert_true(throws_with([&] { JournalReader r(path); }, "is newer than this sockowner supports"));
    assert_true(throws_with([&] { JournalWriter w(path); }, "is newer than this sockowner supports"));
}

void refuses_damaged_file(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        for (int i = 0; i < 2000; ++i)
            w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0 + i), process(i, 1, "p"));
    }
    // Checkpoint the WAL into the main file, then cut the file in half.
    { Db db(path, Db::Mode::read_write_create); db.exec("PRAGMA wal_checkpoint(TRUNCATE)"); db.exec("PRAGMA journal_mode=DELETE"); }
    auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size / 2);
    bool failed = false;
    try {
        JournalReader r(path);
        all_sockets(r);
    } catch (const JournalError& e) {
        failed = true;
    }
    assert_true(failed);
}

void single_writer(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    assert_true(throws_with([&] { JournalWriter w2(path); }, "another sockowner collector"));
}

// stats: intervals by protocol, family and source, in that order, with how many are open.
void counts_sockets_by_kind(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        auto p = process(501, 1, "p");
        w.open_socket(sock(Proto::udp, "[::1]:53", "[::]:0", kT0, std::nullopt, "ebpf"), p);
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), p), kT0 + kSec);
        w.open_socket(sock(Proto::tcp, "[::1]:80", "[::1]:5000", kT0, std::nullopt, "ebpf"), p);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0), p);
    }
    std::string got;
    for (const SocketCount& c : JournalReader(path).socket_counts())
        got += c.proto + "/" + std::to_string(c.family) + "/" + c.source + ":" + std::to_string(c.total) + "," +
               std::to_string(c.open) + " ";
    assert_str_eq(got, "tcp/4/procfs:2,1 tcp/6/ebpf:1,1 udp/6/ebpf:1,1 ");
}

// Reading by time hands each process the caller lacks over once, with the first of its
// intervals, however many rows (and chunks of rows) name it.
void window_read_gives_each_process_once(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        const ProcessInfo ps[] = {process(301, 1, "a"), process(302, 2, "b"), process(303, 3, "c")};
        for (int i = 0; i < 1500; ++i)
            w.close_socket(w.open_socket(sock(Proto::tcp, ("10.0.0.1:" + std::to_string(1000 + i)).c_str(), "10.0.0.2:80",
                                              kT0 + i * kSec / 1000),
                                         ps[i % 3 == 0 ? 0 : i < 700 ? 1 : 2]),
                           kT0 + 2 * kSec);
    }
    JournalReader r(path);
    std::map<std::int64_t, std::string> have;
    std::map<std::string, int> given;
    int rows = 0, without = 0;
    r.sockets_overlapping(kT0, kT0 + 3 * kSec, [&](std::int64_t id) { return !have.count(id); },
                          [&](const SocketRow& row, const ProcessRow* p) {
                              ++rows;
                              if (p) {
                                  assert_int_equal(p->id, row.process_id);
                                  have[p->id] = p->p.comm;
                                  ++given[p->p.comm];
                              } else {
                                  assert_true(have.count(row.process_id));  // given with an earlier row
                                  ++without;
                              }
                          });
    assert_int_equal(rows, 1500);
    assert_int_equal(without, 1497);
    assert_int_equal(given.size(), 3);
    for (auto& [name, n] : given) assert_int_equal(n, 1);
}

// A journal's tables are ours, exactly: a view, a trigger or another table named like
// ours (a crafted file's way to run a query forever) is refused before any read.
void refuses_foreign_schema_objects(void**) {
    ScratchDir dir;
    auto make = [&](const char* name, const std::string& sql) {
        auto path = dir.file(name);
        { JournalWriter w(path); }
        Db db(path, Db::Mode::read_write_create);
        db.exec(sql);
        return path;
    };
    auto view = make("view.db",
                     "ALTER TABLE sockets RENAME TO s2; CREATE VIEW sockets AS WITH RECURSIVE c(x) AS "
                     "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT * FROM s2, c");
    assert_true(throws_with([&] { JournalReader r(view); }, "damaged sockowner journal (unexpected table 's2')"));
    auto trig = make("trigger.db", "CREATE TRIGGER t AFTER INSERT ON runs BEGIN DELETE FROM hosts; END");
    assert_true(throws_with([&] { JournalReader r(trig); }, "unexpected trigger 't'"));
    assert_true(throws_with([&] { JournalWriter w(trig); }, "unexpected trigger 't'"));
    auto col = make("column.db", "ALTER TABLE processes ADD COLUMN extra TEXT");
    assert_true(throws_with([&] { JournalReader r(col); }, "table 'processes' has other columns"));
    auto idx = make("index.db", "CREATE INDEX extra ON sockets (opened)");
    JournalReader fine(idx);  // an index changes no answer: accepted
}

// No query runs forever: each step of a connection has a budget.
void every_step_has_a_deadline(void**) {
    Db db(":memory:", Db::Mode::read_write_create);
    db.set_step_budget(50);
    Stmt st = db.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    auto t0 = std::chrono::steady_clock::now();
    assert_true(throws_with([&] { st.step(); }, "was stopped"));
    assert_true(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

// The collector never writes through a symbolic link, tightens a journal left more
// open than 0640, and takes its lock on a file of its own (0600), not on the journal
// that readers may lock.
void writer_file_safety(void**) {
    ScratchDir dir;
    auto target = dir.file("target");
    std::ofstream(target) << "precious";
    auto link = dir.file("link.db");
    std::filesystem::create_symlink(target, link);
    assert_true(throws_with([&] { JournalWriter w(link); }, "is a symbolic link"));
    std::ifstream in(target);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    assert_str_eq(content, "precious");

    auto path = dir.file("j.db");
    { JournalWriter w(path); }
    ::chmod(path.c_str(), 0666);
    int reader = ::open(path.c_str(), O_RDONLY);
    assert_int_equal(flock(reader, LOCK_EX | LOCK_NB), 0);  // a reader's lock on the journal
    {
        JournalWriter w(path);  // not in its way
        struct stat st{};
        ::stat(path.c_str(), &st);
        assert_int_equal(st.st_mode & 0777, 0640);
        ::stat(dir.file(".j.db.lock").c_str(), &st);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    ::close(reader);
}

void open_intervals_are_offered_to_the_next_run(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), process(5, 7, "srv"));
        auto closed = w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:4", kT0), process(5, 7, "srv"));
        w.close_socket(closed, kT0 + 1);
    }  // like a crash: the first interval stays open
    JournalWriter w(path);
    auto open = w.take_open_intervals();
    assert_int_equal(open.size(), 1);
    assert_int_equal(open[0].owner.pid, 5);
    assert_int_equal(open[0].owner.start_ticks, 7);
    assert_str_eq(open[0].owner.comm, "srv");  // the whole owner, for a later reopen
    assert_str_eq(format_endpoint(open[0].socket.local), "10.0.0.1:1");
}

// A follower's feed of a live journal: new rows by id, updated ones by `changed`, each
// once, whatever was written between two reads; nothing when nothing changed.
void feed_follows_inserts_and_updates(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    auto a = process(601, 1, "a"), b = process(602, 2, "b");
    JournalWriter w(path);
    w.begin_run("procfs", "");
    auto s1 = w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), a);
    auto s2 = w.open_socket(sock(Proto::tcp, "10.0.0.1:2", "10.0.0.2:2", kT0), a);
    w.flush();
    JournalReader r(path);
    std::map<std::int64_t, SocketRow> seen;
    auto take = [&](const SocketRow& row) { seen[row.id] = row; };
    SocketFeed feed = r.sockets_since({}, take);
    assert_int_equal(seen.size(), 2);
    assert_int_equal(feed.id, s2);
    // Updates of older rows, a row added and closed in one batch, one added and updated
    // in the next, and an owner change.
    w.close_socket(s1, kT0 + kSec);
    auto s3 = w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0 + kSec), b);
    w.close_socket(s3, kT0 + 2 * kSec);
    auto s4 = w.open_socket(sock(Proto::tcp, "10.0.0.1:4", "10.0.0.2:2", kT0 + kSec), a);
    w.flush();
    w.set_owner(s4, b);
    w.set_owner(s2, b);
    w.flush();
    seen.clear();
    feed = r.sockets_since(feed, take);
    assert_int_equal(seen.size(), 4);
    assert_true(seen[s1].s.closed == kT0 + kSec);
    assert_true(seen[s3].s.closed == kT0 + 2 * kSec);
    assert_int_equal(seen[s4].process_id, seen[s2].process_id);
    assert_true(seen[s4].process_id != seen[s1].process_id);
    assert_int_equal(feed.id, s4);
    assert_true(r.last_socket_feed() == feed);
    seen.clear();
    assert_true(r.sockets_since(feed, take) == feed);
    assert_int_equal(seen.size(), 0);
    // The same journal read whole gives the same rows as the feed kept.
    JournalReader again(path);
    std::size_t n = 0;
    again.sockets_since({}, [&](const SocketRow&) { ++n; });
    assert_int_equal(n, 4);
}

// The journal stores addresses as text: IPv4 is formatted by hand (the writer's hot
// path), and must read as inet_ntop writes it.
void formats_addresses_as_inet_ntop(void**) {
    const std::uint32_t edges[] = {0, 0xffffffffu, 0x0100007fu, 0x0a00000au};
    std::uint32_t x = 0x12345678;
    for (int i = 0; i < 100000; ++i) {
        x = x * 1664525u + 1013904223u;
        std::uint32_t v = i < 4 ? edges[i] : x;
        char expected[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &v, expected, sizeof expected);
        assert_str_eq(IpAddr::v4(v).to_string(), expected);
        assert_true(IpAddr::parse(expected) == IpAddr::v4(v));
    }
    assert_str_eq(IpAddr::parse("2001:db8::1")->to_string(), "2001:db8::1");
    assert_str_eq(IpAddr::parse("::ffff:10.1.2.3")->to_string(), "10.1.2.3");  // mapped: IPv4
}

void parses_times_sizes_durations(void**) {
    assert_int_equal(parse_time("2026-11-25T12:00:00Z", 0).value(), 1795608000 * kSec);
    assert_int_equal(parse_time("2026-11-25T12:00:00.5Z", 0).value(), 1795608000 * kSec + kSec / 2);
    assert_int_equal(parse_time("2026-11-25T13:00:00+01:00", 0).value(), 1795608000 * kSec);
    assert_int_equal(parse_time("1795608000.25", 0).value(), 1795608000 * kSec + kSec / 4);
    assert_int_equal(parse_time("-5m", 1000 * kSec).value(), 700 * kSec);
    assert_int_equal(parse_time("now", 77).value(), 77);
    assert_false(parse_time("yesterday", 0).has_value());
    assert_false(parse_time("2026-13-01T00:00:00Z", 0).has_value());
    assert_str_eq(format_time(1795608000 * kSec + 5), "2026-11-25T12:00:00.000000005Z");
    assert_int_equal(parse_duration("500ms").value(), kSec / 2);
    assert_int_equal(parse_duration("7d").value(), 7 * 86400 * kSec);
    assert_false(parse_duration("5 parsecs").has_value());
    assert_int_equal(parse_size("100M").value(), 100ll << 20);
    assert_int_equal(parse_size("2GB").value(), 2ll << 30);
    assert_false(parse_size("-1").has_value());
    assert_false(parse_size("12Q").has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(rows_visible_only_after_flush),
        cmocka_unit_test(file_mode_is_0640),
        cmocka_unit_test(refuses_files_that_are_not_journals),
        cmocka_unit_test(refuses_newer_schema),
        cmocka_unit_test(refuses_damaged_file),
        cmocka_unit_test(single_writer),
        cmocka_unit_test(counts_sockets_by_kind),
        cmocka_unit_test(window_read_gives_each_process_once),
        cmocka_unit_test(refuses_foreign_schema_objects),
        cmocka_unit_test(every_step_has_a_deadline),
        cmocka_unit_test(writer_file_safety),
        cmocka_unit_test(open_intervals_are_offered_to_the_next_run),
        cmocka_unit_test(feed_follows_inserts_and_updates),
        cmocka_unit_test(parses_times_sizes_durations),
        cmocka_unit_test(formats_addresses_as_inet_ntop),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
