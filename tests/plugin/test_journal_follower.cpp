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
using namespace sockowner::plugin;
using namespace sockowner::test;

namespace {

std::int64_t owner_pid(const JournalFollower& f, Proto p, const char* local, const char* remote, TimeNs at) {
    auto m = f.index().find(OwnerQuery{p, ep(local), ep(remote), at}, MatchOptions{});
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
    auto m = f.index().find(OwnerQuery{Proto::tcp, ep("10.0.0.1:5555"), ep("10.0.0.2:80"), kT0}, MatchOptions{});
    assert_str_eq(f.socket_source(m->socket->id), "procfs");
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
    m = f.index().find(OwnerQuery{Proto::udp, ep("10.0.0.1:53"), ep("10.0.0.9:4000"), kT0 + 2 * kSec}, MatchOptions{});
    assert_str_eq(f.socket_source(m->socket->id), "ebpf");
    assert_str_eq(f.socket_source(999), "");

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
        w.open_socket(sock(Proto::tcp, "10.0.0.1:80", "0.0.0.0:0", kT0), process(2, 2, "nginx"));
    }
    FakeClock clk;
    JournalFollower f(path, clk.clock());
    f.refresh(0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 1);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path + suffix);
        if (std::filesystem::exists(other + suffix)) std::filesystem::rename(other + suffix, path + suffix);
    }
    clk.now += kSec;
    f.refresh(0);
    assert_true(f.error().empty());
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:22", "10.0.0.9:4000", kT0 + kSec), 0);
    assert_int_equal(owner_pid(f, Proto::tcp, "10.0.0.1:80", "10.0.0.9:4000", kT0 + kSec), 2);
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
        cmocka_unit_test(bad_journals_are_one_line_errors),
        cmocka_unit_test(removed_journal_keeps_what_was_read),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
