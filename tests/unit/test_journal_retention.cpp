// Retention: what the writer deletes to keep a journal within --retain and
// --max-size, and what it keeps (open intervals, the newest that fit, processes
// still named), in steps.
#include "reader.hpp"
#include "sqlite.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

void retention_by_age_keeps_open_intervals(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.retain = 3600 * kSec;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto p = process(1, 1, "old");
    auto a = w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), p);
    w.close_socket(a, kT0 + kSec);
    w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:4", kT0), p);  // still open
    auto b = w.open_socket(sock(Proto::tcp, "10.0.0.1:5", "10.0.0.2:6", kT0 + 7000 * kSec), p);
    w.close_socket(b, kT0 + 7100 * kSec);
    w.flush();
    assert_int_equal(w.apply_retention(kT0 + 7200 * kSec), 1);
    JournalReader r(path);
    auto rows = all_sockets(r);
    assert_int_equal(rows.size(), 2);
    for (auto& s : rows) assert_true(s.s.local.port != 1);
}

// `n` connections 10.0.0.1:1000 -> 10.0.0.2:2000, one a second from `first`, each
// closed a nanosecond after it opened.
void add_closed_intervals(JournalWriter& w, const ProcessInfo& p, int n, TimeNs first) {
    for (int i = 0; i < n; ++i) {
        auto id = w.open_socket(sock(Proto::tcp, "10.0.0.1:1000", "10.0.0.2:2000", first + i * kSec), p);
        w.close_socket(id, first + i * kSec + 1);
    }
}

void retention_by_size(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.max_size = 256 * 1024;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto p = process(1, 1, "busy");
    add_closed_intervals(w, p, 20000, kT0);
    w.flush();
    assert_true(w.file_size() > opt.max_size);
    assert_true(w.apply_retention(kT0 + 30000 * kSec) > 0);
    assert_true(w.file_size() <= opt.max_size);
    JournalReader r(path);
    auto rows = all_sockets(r);
    assert_true(rows.size() > 100);
    // The oldest went first: what is left is the most recent.
    bool has_newest = false;
    for (auto& s : rows) has_newest |= s.s.opened == kT0 + 19999 * kSec;
    assert_true(has_newest);
}

// --max-size 100K on a small journal: the newest that fit stay (it deleted every row).
void retention_by_size_keeps_the_newest_that_fit(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.max_size = 100 * 1024;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto p = process(1, 1, "busy");
    add_closed_intervals(w, p, 900, kT0);
    w.flush();
    assert_true(w.file_size() > opt.max_size);
    w.apply_retention(kT0 + 30000 * kSec);
    assert_true(w.file_size() <= opt.max_size);  // the write-ahead log counted
    JournalReader r(path);
    auto rows = all_sockets(r);
    assert_true(rows.size() >= 50);
    for (auto& s : rows) assert_true(s.s.opened >= kT0 + 100 * kSec);  // the oldest went
}

// A journal far over its limits is cut in steps of retention_step intervals, each call
// saying whether more is left; the processes go once the last step is done.
void retention_goes_in_steps(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.retain = 3600 * kSec;
    opt.retention_step = 40;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto old = process(101, 1, "old");
    add_closed_intervals(w, old, 100, kT0);
    w.process_exited(ProcessKey::of(old), kT0 + 200 * kSec);
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1001", "10.0.0.2:2000", kT0 + 9000 * kSec),
                                 process(102, 2, "new")),
                   kT0 + 9001 * kSec);
    w.flush();
    const TimeNs now = kT0 + 7200 * kSec;
    assert_int_equal(w.apply_retention(now), 40);
    assert_true(w.retention_unfinished());
    assert_int_equal(w.apply_retention(now), 40);
    assert_true(w.retention_unfinished());
    assert_int_equal(w.apply_retention(now), 20 + 1);  // the last 20, then the process
    assert_false(w.retention_unfinished());
    assert_int_equal(w.apply_retention(now), 0);
    JournalReader r(path);
    assert_int_equal(all_sockets(r).size(), 1);
}

// Retention takes the processes no interval needs any more, once they exited: not
// one whose socket is still open, nor one still running.
void retention_drops_processes_no_interval_needs(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.retain = 7 * 24 * 3600 * kSec;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto gone = process(101, 1, "gone"), holder = process(102, 2, "holder"), running = process(103, 3, "running");
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), gone), kT0 + kSec);
    w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:4", kT0), holder);  // still open
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:5", "10.0.0.2:6", kT0), running), kT0 + kSec);
    // Sockets handed to another process (accept() in a worker), in the batch that
    // opened them and in a later one: the first owners, exited, are needed no more.
    auto parent = process(104, 4, "parent"), parent2 = process(105, 5, "parent2"), worker = process(106, 6, "worker");
    w.set_owner(w.open_socket(sock(Proto::tcp, "10.0.0.1:7", "10.0.0.2:8", kT0), parent), worker);
    auto later = w.open_socket(sock(Proto::tcp, "10.0.0.1:9", "10.0.0.2:8", kT0), parent2);
    w.flush();
    w.set_owner(later, worker);
    for (const auto* p : {&gone, &holder, &parent, &parent2}) w.process_exited(ProcessKey::of(*p), kT0 + 10 * kSec);
    w.flush();
    // Two sockets, three processes (the worker holds both handed sockets, still open).
    assert_int_equal(w.apply_retention(kT0 + 8 * 24 * 3600 * kSec), 5);
    Db db(path, Db::Mode::read_only);
    Stmt left(db.get(), "SELECT group_concat(comm || ':' || socket_refs, ' ') FROM (SELECT * FROM processes ORDER BY id)");
    assert_true(left.step());
    assert_string_equal(left.text(0).c_str(), "holder:1 running:0 worker:2");
}

// The oldest openings are all still open, and one long interval opened first closed
// last: the size is still reached (steps past the open ones grow), every open interval
// stays, and so does the long one, closed after everything else.
void retention_by_size_goes_past_open_intervals(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    WriterOptions opt;
    opt.max_size = 512 * 1024;
    JournalWriter w(path, opt);
    w.begin_run("procfs", "");
    auto p = process(1, 1, "busy");
    auto long_one = w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "10.0.0.9:50000", kT0 - 10 * kSec), p);
    for (int i = 0; i < 2000; ++i) w.open_socket(sock(Proto::udp, "10.0.0.1:3000", "10.0.0.2:53", kT0 + i), p);
    add_closed_intervals(w, p, 20000, kT0 + kSec);
    w.close_socket(long_one, kT0 + 30000 * kSec);
    w.flush();
    assert_true(w.file_size() > opt.max_size);
    std::int64_t removed = 0;
    do removed += w.apply_retention(kT0 + 30000 * kSec);  // in steps of retention_step
    while (w.retention_unfinished());
    assert_true(removed > 0);
    assert_true(w.file_size() <= opt.max_size);
    JournalReader r(path);
    int open = 0, closed = 0;
    bool long_stays = false;
    for (auto& s : all_sockets(r)) {
        if (!s.s.closed) ++open;
        else ++closed;
        long_stays |= s.s.local.port == 22;
    }
    assert_int_equal(open, 2000);
    assert_true(closed > 100);
    assert_true(long_stays);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(retention_by_age_keeps_open_intervals),
        cmocka_unit_test(retention_by_size),
        cmocka_unit_test(retention_by_size_keeps_the_newest_that_fit),
        cmocka_unit_test(retention_goes_in_steps),
        cmocka_unit_test(retention_drops_processes_no_interval_needs),
        cmocka_unit_test(retention_by_size_goes_past_open_intervals),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
