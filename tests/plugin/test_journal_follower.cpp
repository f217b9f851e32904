// Following a journal: the first full read, bounded incremental re-reads, a journal
// that appears later, is replaced, damaged or removed.
#include "journal_follower.hpp"
#include "fake_clock.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include <filesystem>
#include <fstream>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

// What the attribution reads: the intervals around `at`, then the owner.
std::optional<OwnerMatch> find(JournalFollower& f, Proto p, const char* local, const char* remote, TimeNs at) {
    MatchOptions opt;
    f.cover(at - opt.grace, at + opt.slack);
    return f.index().find(OwnerQuery{p, ep(local), ep(remote), at}, opt);
}

std::int64_t owner_pid(JournalFollower& f, Proto p, const char* local, const char* remote, TimeNs at) {
    auto m = find(f, p, local, remote, at);
    if (!m) return 0;
    const ProcessRow* row = f.process(m->socket->process_id);
    return row ? row->p.pid : -1;
}

void reads_then_follows_at_a_bounded_rate(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    w.begin_run("procfs", "test", kT0);
    auto curl = w.open_socket(sock(Proto::tcp, "10.0.0.1:5555", "10.0.0.2:80", kT0), process(4242, 100, "curl"));
    w.flush();

    FakeClock clk;
    JournalFollower f(path, clk.clock());
    assert_false(f.usable());  // nothing read before the first refresh
    f.refresh(100 * kMs);
    assert_true(f.usable());
    assert_true(f.error().empty());
    assert_int_equal(f.reads(), 1);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:5555", "10.0.0.2:80", kT0 + kSec), 4242);
    auto m = find(f, Proto::tcp, "10.0.0.1:5555", "10.0.0.2:80", kT0);
    assert_str_eq(f.source(m->socket->tag), "procfs");
    assert_str_eq(f.process(m->socket->process_id)->p.cmdline, "curl --flag");
    assert_true(f.coverage().watched(*IpAddr::parse("10.0.0.1"), kT0 + 5 * kSec));  // run still open
    assert_false(f.coverage().watched(*IpAddr::parse("10.0.0.2"), kT0 + 5 * kSec));

    // New rows and a close arrive; they are read only once the interval has passed.
    w.open_socket(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0 + kSec, std::nullopt, "ebpf"), process(53, 50, "dnsmasq"));
    w.close_socket(curl, kT0 + 2 * kSec);
    w.flush();
    clk.now += 50 * kMs;
    f.refresh(100 * kMs);
    assert_int_equal(f.reads(), 1);
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:53", "10.0.0.9:4000", kT0 + 2 * kSec), 0);
    clk.now += 50 * kMs;
    f.refresh(100 * kMs);
    assert_int_equal(f.reads(), 2);
    assert_int_equal(owner_pid(f, Proto::udp, "10.0.0.1:53", "10.0.0.9:4000", kT0 + 2 * kSec), 53);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:5555", "10.0.0.2:80", kT0 + 10 * kSec), 0);  // closed
    m = find(f, Proto::udp, "10.0.0.1:53", "10.0.0.9:4000", kT0 + 2 * kSec);
    assert_str_eq(f.source(m->socket->tag), "ebpf");
    assert_str_eq(f.source(0), ""); assert_str_eq(f.source(200), "");

    // The run's stop is picked up too.
    w.end_run(kT0 + 3 * kSec);
    clk.now += 100 * kMs;
    f.refresh(100 * kMs);
    assert_false(f.coverage().watched(*IpAddr::parse("10.0.0.1"), kT0 + 5 * kSec));
}

void journal_created_later(void**) {
    ScratchDir dir;
    auto path = dir.file("later.db");
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    assert_false(f.usable());
    assert_true(f.error().find(path + ": cannot open journal") == 0);
    {
        JournalWriter w(path);
        w.begin_run("procfs", "test", kT0);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "0.0.0.0:0", kT0), process(1, 1, "sshd"));
    }
    clk.now += JournalFollower::kReopenInterval / 2;
    f.refresh(0);  // retried at most once per kReopenInterval
    assert_false(f.usable());
    clk.now += JournalFollower::kReopenInterval;
    f.refresh(0);
    assert_true(f.usable());
    assert_true(f.error().empty());
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 1);
}

void journal_replaced_is_read_again(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db"), other = dir.file("other.db");
    {
        JournalWriter w(path);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "0.0.0.0:0", kT0), process(1, 1, "sshd"));
    }
    {
        JournalWriter w(other);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:80", "0.0.0.0:0", kT0, std::nullopt, "ebpf"), process(2, 2, "nginx"));
    }
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 1);
    const std::uint8_t sshd_source = find(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec)->socket->tag;
    assert_str_eq(f.source(sshd_source), "procfs");
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path + suffix);
        if (std::filesystem::exists(other + suffix)) std::filesystem::rename(other + suffix, path + suffix);
    }
    clk.now += kSec;
    f.refresh(0);
    assert_true(f.error().empty());
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:80", "10.0.0.9:4000", kT0 + kSec), 2);
    // An owner remembered from the journal before names its source by number: the same.
    assert_str_eq(f.source(sshd_source), "procfs");
    assert_str_eq(f.source(find(f, Proto::tcp, "10.0.0.1:80", "10.0.0.9:4000", kT0 + kSec)->socket->tag), "ebpf");
}

// A curl connection from 10.0.0.1:`port` to 10.0.0.2:80 at `at`, closed half a second later.
void add_closed_curl(JournalWriter& w, int port, int pid, TimeNs at) {
    std::string local = "10.0.0.1:" + std::to_string(port);
    auto id = w.open_socket(sock(Proto::tcp, local.c_str(), "10.0.0.2:80", at), process(pid, 100, "curl"));
    w.close_socket(id, at + kSec / 2);
}

// The collector's retention deletes rows; a change feed never shows deletions, so the
// follower counts the rows now and then and, once a quarter of those it read are gone,
// reads the journal again: its index follows the journal instead of growing for ever.
void rows_deleted_by_retention_leave(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.retain = 100 * kSec;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "test", kT0);
    for (int i = 0; i < 100; ++i) add_closed_curl(w, 20000 + i, 4000 + i, kT0 + i * kSec);
    w.flush();

    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    const TimeNs all_from = kT0 - kSec, all_to = kT0 + 200 * kSec;
    f.cover(all_from, all_to);
    assert_int_equal(f.index().size(), 100);
    auto epoch = f.epoch();
    // Retention at T0 + 150 s drops the intervals closed before T0 + 50 s: half of them.
    assert_true(w.apply_retention(kT0 + 150 * kSec) >= 50);
    clk.now += kSec;
    f.refresh(0);
    assert_int_equal(f.index().size(), 100);  // not counted again yet: once a minute
    clk.now += JournalFollower::kRetentionCheckInterval;
    f.refresh(0);
    assert_true(f.error().empty());
    assert_true(f.epoch() != epoch);
    f.cover(all_from, all_to);
    assert_int_equal(f.index().size(), 50);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:20070", "10.0.0.2:80", kT0 + 70 * kSec), 4070);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:20010", "10.0.0.2:80", kT0 + 10 * kSec), 0);
    // New rows are still followed.
    w.open_socket(sock(Proto::tcp, "10.0.0.1:30000", "10.0.0.2:80", kT0 + 200 * kSec), process(5000, 100, "wget"));
    w.flush();
    clk.now += kSec;
    f.refresh(0);
    assert_int_equal(f.index().size(), 51);
    // A few deletions (under a quarter) are not worth a new read.
    w.apply_retention(kT0 + 160 * kSec);  // 10 more go
    clk.now += JournalFollower::kRetentionCheckInterval;
    epoch = f.epoch();
    f.refresh(0);
    assert_int_equal(f.epoch(), epoch);
}

// Read by time, the check counts the window's rows only: rows deleted from the
// capture's window are noticed however much history the journal holds after it (the
// whole journal's count, 1 000 rows a week later, would hide 100 gone), and the count
// costs what the window holds, not the history.
void deletions_in_the_window_are_noticed(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.retain = 86400 * kSec;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "test", kT0);
    const TimeNs week = 7 * 86400 * kSec;
    for (int i = 0; i < 100; ++i) add_closed_curl(w, 20000 + i, 20000 + i, kT0 + i * kSec);  // the capture's time
    for (int i = 0; i < 1000; ++i) add_closed_curl(w, 30000 + i, 30000 + i, kT0 + week + i * kSec);
    w.flush();

    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    f.cover(kT0, kT0 + 100 * kSec);
    assert_int_equal(f.index().size(), 100);
    auto epoch = f.epoch();
    // A week later, retention keeps a day: the window's intervals go, the later ones stay.
    assert_int_equal(w.apply_retention(kT0 + week), 100);
    clk.now += JournalFollower::kRetentionCheckInterval + kSec;
    f.refresh(0);
    assert_true(f.error().empty());
    assert_true(f.epoch() != epoch);
    f.cover(kT0, kT0 + 100 * kSec);
    assert_int_equal(f.index().size(), 0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:20050", "10.0.0.2:80", kT0 + 50 * kSec), 0);
}

void bad_journals_are_one_line_errors(void**) {
    ScratchDir dir;
    auto text = dir.file("notes.txt");
    std::ofstream(text) << "this is not a journal\n";
    JournalFollower f(text);
    f.refresh(0);
    assert_false(f.usable());
    assert_true(f.error().find("not a sockowner journal") != std::string::npos);
    assert_true(f.error().find('\n') == std::string::npos);

    JournalFollower d(dir.file(""));
    d.refresh(0);
    assert_false(d.usable());
    assert_true(d.error().find("not a regular file") != std::string::npos);
}

void removed_journal_keeps_what_was_read(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "0.0.0.0:0", kT0), process(1, 1, "sshd"));
    }
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 1);  // read by time
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    clk.now += kSec;
    f.refresh(0);
    assert_false(f.error().empty());
    assert_true(f.usable());
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(reads_then_follows_at_a_bounded_rate),
        cmocka_unit_test(journal_created_later),
        cmocka_unit_test(journal_replaced_is_read_again),
        cmocka_unit_test(rows_deleted_by_retention_leave),
        cmocka_unit_test(deletions_in_the_window_are_noticed),
        cmocka_unit_test(bad_journals_are_one_line_errors),
        cmocka_unit_test(removed_journal_keeps_what_was_read),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
