// Reading a journal by time: only the intervals around the packets' times are read,
// and every lookup answers as it does against the whole journal read at once.
#include "journal_follower.hpp"
#include "fake_clock.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

constexpr TimeNs kMin = 60 * kSec, kHour = 60 * kMin;

std::optional<OwnerMatch> find(JournalFollower& f, Proto p, const Endpoint& local, const Endpoint& remote, TimeNs at) {
    MatchOptions opt;
    f.cover(at - opt.grace, at + opt.slack);
    return f.index().find(OwnerQuery{p, local, remote, at}, opt);
}

std::int64_t owner_pid(JournalFollower& f, Proto p, const char* local, const char* remote, TimeNs at) {
    auto m = find(f, p, ep(local), ep(remote), at);
    if (!m) return 0;
    const ProcessRow* row = f.process(m->socket->process_id);
    return row ? row->p.pid : -1;
}

// The same journal as one made before the window indexes (or with an index of that
// name made otherwise): read whole.
std::string copy_without_window(const ScratchDir& dir, const std::string& path, const char* replacement = nullptr) {
    std::string copy = dir.file("whole.db");
    std::filesystem::copy_file(path, copy);
    Db db(copy, Db::Mode::read_write_create);
    db.exec("DROP INDEX sockets_long_spans");
    if (replacement) db.exec(replacement);
    return copy;
}

// Ten hours of a host: a listener open throughout, one connection of two hours, and
// a short connection every 36 s (1 s each), each from its own client process.
void ten_hours(JournalWriter& w) {
    w.begin_run("ebpf", "test", kT0);
    w.open_socket(sock(Proto::tcp, "0.0.0.0:22", "0.0.0.0:0", kT0), process(1, 1, "sshd"));
    auto ssh = w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "10.0.0.9:5000", kT0 + kHour), process(2, 2, "sshd"));
    w.close_socket(ssh, kT0 + 3 * kHour);
    for (int i = 0; i < 1000; ++i) {
        std::string local = "10.0.0.1:" + std::to_string(30000 + i);
        TimeNs at = kT0 + i * 36 * kSec;
        auto id = w.open_socket(sock(Proto::tcp, local.c_str(), "10.0.0.2:80", at), process(1000 + i, 100 + i, "curl"));
        w.close_socket(id, at + kSec);
    }
    w.flush();
}

void reads_only_around_the_packets(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    ten_hours(w);
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    assert_true(f.windowed());
    assert_int_equal(f.index().size(), 0);
    TimeNs at = kT0 + 500 * 36 * kSec + kSec / 2;  // during the 500th connection
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:30500", "10.0.0.2:80", at), 1500);
    // The listener and the intervals within a minute or so of the packet: not 1000.
    assert_true(f.index().size() >= 3 && f.index().size() <= 8);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.7:6000", at), 1);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:5000", kT0 + 2 * kHour), 2);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:30000", "10.0.0.2:80", kT0), 1000);  // backward
    assert_true(f.index().size() < 1000);
    assert_true(f.window_reads() >= 2);
    // A window read before does not read again.
    auto reads = f.window_reads();
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:30499", "10.0.0.2:80", at - 36 * kSec), 1499);
    assert_int_equal(f.window_reads(), reads);
}

// Rows written after the first read come with the change feed, wherever their time,
// and so do the processes they name that were written before it.
void later_rows_come_with_the_feed(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    ten_hours(w);
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    TimeNs at = kT0 + 10 * kHour + kMin;
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:53", "10.0.0.8:4000", at), 0);
    auto dns = w.open_socket(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", at - kSec), process(53, 5, "dnsmasq"));
    // A new socket of a process the follower has not read (pid 1500 wrote at hour 5).
    w.open_socket(sock(Proto::udp, "10.0.0.1:7000", "0.0.0.0:0", at - kSec), process(1500, 600, "curl"));
    w.flush();
    clk.now += kSec;
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:53", "10.0.0.8:4000", at), 53);
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:7000", "10.0.0.8:4000", at), 1500);
    // A close of a row read by time comes with the feed too.
    w.close_socket(dns, at);
    w.flush();
    clk.now += kSec;
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:53", "10.0.0.8:4000", at + kHour), 0);
}

void journal_without_the_indexes_is_read_whole(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        ten_hours(w);
    }
    for (const char* other : {static_cast<const char*>(nullptr),
                              "CREATE INDEX sockets_long_spans ON sockets (opened, closed) WHERE closed IS NULL"}) {
        ScratchDir copies;
        FakeClock clk;
        JournalFollower f(copy_without_window(copies, path, other), clk.clock());
        f.refresh(0);
        assert_false(f.windowed());
        assert_int_equal(f.index().size(), 1002);
        assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:30500", "10.0.0.2:80", kT0 + 500 * 36 * kSec), 1500);
        assert_int_equal(f.window_reads(), 0);
    }
    // A writer adds them to a journal that lacks them.
    ScratchDir copies;
    auto old = copy_without_window(copies, path);
    { JournalWriter w(old); }
    JournalFollower f(old);
    f.refresh(0);
    assert_true(f.windowed());
}

// Lookups at random times, in random order (the window grows both ways), with intervals
// of every length around the boundary of the long-interval index, ports reused, some
// never closed: the same answer as from the whole journal.
void same_answers_as_the_whole_journal(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    std::mt19937_64 rng(12345);
    struct Conn {
        Endpoint local, remote;
        TimeNs opened, length;
    };
    std::vector<Conn> conns;
    {
        JournalWriter w(path);
        w.begin_run("ebpf", "test", kT0);
        for (int i = 0; i < 3000; ++i) {
            int port = 40000 + int(rng() % 200);  // reused many times
            std::string local = "10.0.0.1:" + std::to_string(port);
            std::string remote = "10.0.0." + std::to_string(2 + rng() % 3) + ":443";
            TimeNs opened = kT0 + TimeNs(rng() % std::uint64_t(24 * kHour));
            TimeNs length = rng() % 4 == 0 ? TimeNs(rng() % std::uint64_t(3 * kHour))
                                           : TimeNs(rng() % std::uint64_t(20 * kMin));
            auto id = w.open_socket(sock(Proto::tcp, local.c_str(), remote.c_str(), opened),
                                    process(2000 + i % 700, 1 + i % 700, "client"));
            if (rng() % 50) w.close_socket(id, opened + length);
            conns.push_back({ep(local.c_str()), ep(remote.c_str()), opened, length});
        }
        w.open_socket(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0 + 5 * kHour), process(53, 5, "dnsmasq"));
    }
    ScratchDir copies;
    FakeClock clk;
    JournalFollower windowed(path, clk.clock()), whole(copy_without_window(copies, path), clk.clock());
    windowed.refresh(0);
    whole.refresh(0);
    assert_true(windowed.windowed());
    assert_false(whole.windowed());
    int found = 0;
    for (int i = 0; i < 4000; ++i) {
        const Conn& c = conns[rng() % conns.size()];
        // Half the times during (or a minute around) the connection, half anywhere.
        TimeNs at = i % 2 ? c.opened - kMin + TimeNs(rng() % std::uint64_t(c.length + 2 * kMin))
                          : kT0 - kHour + TimeNs(rng() % std::uint64_t(27 * kHour));
        Proto p = i % 10 == 0 ? Proto::udp : Proto::tcp;
        Endpoint local = p == Proto::udp ? ep("10.0.0.1:53") : c.local;
        auto a = find(windowed, p, local, c.remote, at), b = find(whole, p, local, c.remote, at);
        assert_int_equal(a.has_value(), b.has_value());
        if (!a) continue;
        ++found;
        assert_int_equal(a->socket->id, b->socket->id);
        assert_int_equal(int(a->kind), int(b->kind));
        assert_int_equal(windowed.process(a->socket->process_id)->p.pid, whole.process(b->socket->process_id)->p.pid);
        assert_int_equal(windowed.coverage().watched(c.local.addr, at), whole.coverage().watched(c.local.addr, at));
    }
    assert_true(found > 1500);  // the comparison is not all "none"
}

// A capture of short connections read in time order: the processes its first stretch
// (read on the caller's thread) brought are not read again by the read-ahead (a
// quarter of them were), nor any process twice.
void read_ahead_reads_each_process_once(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    std::vector<std::pair<std::string, TimeNs>> conns;
    {
        JournalWriter w(path);
        w.begin_run("ebpf", "test", kT0);
        for (int i = 0; i < 20000; ++i) {  // one every 10 ms, 500 client processes taking turns
            std::string local = "10.0." + std::to_string(1 + i / 30000) + ".1:" + std::to_string(20000 + i % 30000);
            TimeNs at = kT0 + i * (kSec / 100);
            auto id = w.open_socket(sock(Proto::tcp, local.c_str(), "10.0.9.2:443", at),
                                    process(3000 + i % 500, 1 + i % 500, "client"));
            w.close_socket(id, at + kSec / 200);
            conns.emplace_back(local, at);
        }
    }
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.read_ahead(true);
    f.refresh(0);
    for (const auto& [local, at] : conns) {
        auto m = find(f, Proto::tcp, ep(local.c_str()), ep("10.0.9.2:443"), at + kSec / 1000);
        assert_true(m.has_value());
        assert_non_null(f.process(m->socket->process_id));
    }
    assert_true(f.ahead_reads() > 0);
    assert_int_equal(f.processes_known(), 500);
    assert_int_equal(f.process_rows_read(), 500);
}

// Read ahead (annotate's capture in time order): lookups mostly forward, some back, a
// gap of hours, and a dense stretch of 40 000 intervals in two seconds (the step
// shrinks); the same answers as from the whole journal, most rows read on the other thread.
void read_ahead_answers_as_the_whole_journal(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    std::mt19937_64 rng(777);
    struct Conn {
        Endpoint local, remote;
        TimeNs opened;
    };
    std::vector<Conn> conns;
    {
        JournalWriter w(path);
        w.begin_run("ebpf", "test", kT0);
        w.open_socket(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0), process(53, 5, "dnsmasq"));
        auto add = [&](int i, TimeNs opened, TimeNs length) {
            std::string local = "10.0." + std::to_string(1 + i / 60000) + ".1:" + std::to_string(1024 + i % 60000);
            auto id = w.open_socket(sock(Proto::tcp, local.c_str(), "10.0.9.2:443", opened),
                                    process(2000 + i % 5000, 1 + i % 5000, "client"));
            w.close_socket(id, opened + length);
            conns.push_back({ep(local.c_str()), ep("10.0.9.2:443"), opened});
        };
        int i = 0;
        for (; i < 3000; ++i) add(i, kT0 + TimeNs(rng() % std::uint64_t(6 * kHour)), TimeNs(rng() % std::uint64_t(5 * kMin)));
        for (; i < 43000; ++i) add(i, kT0 + 2 * kHour + TimeNs(rng() % std::uint64_t(2 * kSec)), kSec / 10);
        for (; i < 44000; ++i) add(i, kT0 + 20 * kHour + TimeNs(rng() % std::uint64_t(kHour)), kMin);
    }
    std::sort(conns.begin(), conns.end(), [](const Conn& a, const Conn& b) { return a.opened < b.opened; });
    ScratchDir copies;
    FakeClock clk;
    // Also with reads given up where a step holds more than 2 000 rows (the burst).
    JournalFollower ahead(path, clk.clock()), bounded(path, clk.clock()),
        whole(copy_without_window(copies, path), clk.clock());
    ahead.read_ahead(true);
    bounded.read_ahead(true, 2000);
    ahead.refresh(0);
    bounded.refresh(0);
    whole.refresh(0);
    int found = 0;
    for (std::size_t n = 0; n < conns.size(); n += 7) {
        // In time order, one in 50 a minute back.
        const Conn& c = conns[n % 50 == 0 && n > 0 ? n - 1 : n];
        TimeNs at = c.opened + (n % 50 == 0 ? -kMin : kSec / 20);
        Proto p = n % 10 == 0 ? Proto::udp : Proto::tcp;
        Endpoint local = p == Proto::udp ? ep("10.0.1.1:53") : c.local;
        auto a = find(ahead, p, local, c.remote, at), b = find(whole, p, local, c.remote, at);
        auto d = find(bounded, p, local, c.remote, at);
        assert_int_equal(a.has_value(), b.has_value());
        assert_int_equal(d.has_value(), b.has_value());
        if (!a) continue;
        ++found;
        assert_int_equal(a->socket->id, b->socket->id);
        assert_int_equal(d->socket->id, b->socket->id);
        const ProcessRow* pa = ahead.process(a->socket->process_id);
        const ProcessRow* pd = bounded.process(d->socket->process_id);
        assert_non_null(pa);
        assert_non_null(pd);
        assert_int_equal(pa->p.pid, whole.process(b->socket->process_id)->p.pid);
        assert_int_equal(pd->p.pid, pa->p.pid);
    }
    assert_true(found > 5000);
    assert_string_equal(ahead.error().c_str(), "");
    assert_string_equal(bounded.error().c_str(), "");
    assert_true(bounded.ahead_reads() > 10);
    // The burst's step, given up there, read here.
    assert_true(bounded.window_reads() - bounded.ahead_reads() > ahead.window_reads() - ahead.ahead_reads());
    assert_true(ahead.ahead_reads() > 10);
    assert_true(ahead.ahead_reads() * 2 > ahead.window_reads());  // most reads: rows came in the background
}

// The read-ahead opens the journal again: a file put in its place meanwhile is not read
// as if it were the same journal, and the error says so.
void read_ahead_notices_a_replaced_journal(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        ten_hours(w);
    }
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.read_ahead(true);
    f.refresh(0);
    std::filesystem::rename(path, dir.file("old.db"));
    std::filesystem::copy_file(dir.file("old.db"), path);
    TimeNs at = kT0 + kSec / 2;
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:30000", "10.0.0.2:80", at), 1000);  // read here: the file open
    for (TimeNs t = at; t < kT0 + kHour && f.error().empty(); t += kMin) owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.2:80", t);
    assert_string_equal(f.error().c_str(), (path + ": replaced while read").c_str());
}

// A file read while the collector still writes (the plugin refreshes every 64th packet):
// a close the change feed brought is not undone by the same socket read ahead earlier,
// open, on the other connection.
void read_ahead_keeps_what_the_feed_brought(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    w.begin_run("ebpf", "test", kT0);
    w.open_socket(sock(Proto::tcp, "10.0.0.1:1000", "10.0.0.2:80", kT0), process(10, 1, "first"));
    // Beyond the first read's end (the packet's time, slack, a second): read ahead.
    auto later = w.open_socket(sock(Proto::tcp, "10.0.0.1:2000", "10.0.0.2:80", kT0 + 3 * kSec), process(11, 2, "second"));
    w.flush();
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.read_ahead(true);
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:1000", "10.0.0.2:80", kT0), 10);
    f.wait_for_read_ahead();  // read ahead: the socket open
    w.close_socket(later, kT0 + 3 * kSec + kSec / 2);
    w.flush();
    clk.now += kSec;
    f.refresh(0);  // the close, by the feed
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:2000", "10.0.0.2:80", kT0 + 3 * kSec + kSec / 4), 11);
    assert_int_equal(f.ahead_reads(), 1);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:2000", "10.0.0.2:80", kT0 + 3 * kSec + kMin), 0);
    assert_string_equal(f.error().c_str(), "");
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(reads_only_around_the_packets),
        cmocka_unit_test(later_rows_come_with_the_feed),
        cmocka_unit_test(journal_without_the_indexes_is_read_whole),
        cmocka_unit_test(same_answers_as_the_whole_journal),
        cmocka_unit_test(read_ahead_answers_as_the_whole_journal),
        cmocka_unit_test(read_ahead_notices_a_replaced_journal),
        cmocka_unit_test(read_ahead_keeps_what_the_feed_brought),
        cmocka_unit_test(read_ahead_reads_each_process_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
