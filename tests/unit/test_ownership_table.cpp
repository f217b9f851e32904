// How live observations become journal intervals.
#include "ownership_table.hpp"
#include "reader.hpp"
#include "test_helpers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

std::vector<SocketRow> rows(const std::string& path) {
    JournalReader r(path);
    std::vector<SocketRow> out;
    r.sockets_since(0, [&](const SocketRow& s) { out.push_back(s); });
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    return out;
}

void observe_open_change_close(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    OwnershipTable t(w);
    auto a = process(10, 1, "a"), b = process(11, 2, "b");
    assert_true(t.observe(1, sock(Proto::udp, "0.0.0.0:5000", "0.0.0.0:0", kT0), a));
    assert_false(t.observe(1, sock(Proto::udp, "0.0.0.0:5000", "0.0.0.0:0", kT0 + kSec), a));  // unchanged
    // connect(): new tuple, new interval; the old one ends there.
    assert_true(t.observe(1, sock(Proto::udp, "10.0.0.1:5000", "10.0.0.2:53", kT0 + 2 * kSec), a));
    // Handed to another process (not an accept): new interval too.
    assert_true(t.observe(1, sock(Proto::udp, "10.0.0.1:5000", "10.0.0.2:53", kT0 + 3 * kSec), b));
    t.close(1, kT0 + 4 * kSec);
    t.close(1, kT0 + 5 * kSec);  // closing twice is harmless
    w.flush();
    auto r = rows(path);
    assert_int_equal(r.size(), 3);
    assert_int_equal(*r[0].s.closed, kT0 + 2 * kSec);
    assert_int_equal(*r[1].s.closed, kT0 + 3 * kSec);
    assert_int_equal(*r[2].s.closed, kT0 + 4 * kSec);
    assert_true(r[1].process_id != r[2].process_id);
    assert_int_equal(t.size(), 0);
}

void reassign_rewrites_owner(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    JournalWriter w(path);
    OwnershipTable t(w);
    t.observe(7, sock(Proto::tcp, "127.0.0.1:80", "127.0.0.1:4000", kT0), process(1, 1, "master"));
    t.reassign(7, process(2, 2, "worker"));
    w.flush();
    auto r = rows(path);
    assert_int_equal(r.size(), 1);  // one interval, now the worker's
    JournalReader reader(path);
    assert_str_eq(reader.process(r[0].process_id)->p.comm, "worker");
}

void close_missing_and_adoption(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        OwnershipTable t(w);
        t.observe(1, sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), process(1, 1, "a"));
        t.observe(2, sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:4", kT0), process(1, 1, "a"));
    }  // the collector stops with both open
    JournalWriter w(path);
    OwnershipTable t(w);
    t.offer_adoption(w.take_open_intervals());
    // The next run sees the first socket again (new ident) and not the second.
    assert_true(t.observe(99, sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0 + 10 * kSec), process(1, 1, "a")));
    assert_int_equal(t.opened_total(), 0);  // adopted, not opened anew
    assert_int_equal(t.close_unadopted(kT0 + 10 * kSec), 1);
    assert_int_equal(t.close_missing({}, kT0 + 20 * kSec), 1);
    w.flush();
    auto r = rows(path);
    assert_int_equal(r.size(), 2);
    assert_int_equal(r[0].s.opened, kT0);  // the adopted interval kept its start
    assert_int_equal(*r[0].s.closed, kT0 + 20 * kSec);
    assert_int_equal(*r[1].s.closed, kT0 + 10 * kSec);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(observe_open_change_close),
        cmocka_unit_test(reassign_rewrites_owner),
        cmocka_unit_test(close_missing_and_adoption),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
