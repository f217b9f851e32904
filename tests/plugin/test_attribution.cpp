// Deciding each side's owner from the journal: the index first, then the kernel where
// the rules allow and a collector watched, then the flow's earlier owner; and in live
// captures the bounded wait for rows not written yet.
#include "attribution.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

constexpr TimeNs kMs = 1'000'000;

Transport tcp(const char* src, const char* dst, std::uint8_t flags) {
    Transport t;
    t.proto = Proto::tcp;
    t.src = ep(src);
    t.dst = ep(dst);
    t.tcp_flags = flags;
    return t;
}

PacketPlan plan(const Transport& t, TimeNs at) { return plan_sides({t, std::nullopt}, at); }

// A journal whose collector ran from kT0 to kT0 + 100 s on the host 10.0.0.1.
struct Recorded {
    ScratchDir dir;
    std::string path = dir.file("j.db");
    Recorded() {
        JournalWriter w(path);
        w.begin_run("procfs", "test", kT0);
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + kSec), process(4242, 1, "curl")),
                       kT0 + 2 * kSec);
        w.open_socket(sock(Proto::icmp, "0.0.0.0:7", "0.0.0.0:0", kT0), process(8001, 2, "ping"));
        w.end_run(kT0 + 100 * kSec);
    }
};

void journal_then_kernel_then_conversation(void**) {
    Recorded j;
    JournalFollower f(j.path);
    f.refresh(0);
    Attributor a(f, {});

    auto o = a.attribute(plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpAck), kT0 + 1500 * kMs));
    assert_int_equal(int(o.src.how), int(How::exact));
    assert_int_equal(f.process(o.src.process_id)->p.pid, 4242);
    assert_false(o.dst.known());  // 10.0.0.2 is not watched

    // Long after the socket's interval (+1 s grace): the flow's owner still.
    o = a.attribute(plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpFin | kTcpAck), kT0 + 10 * kSec));
    assert_int_equal(int(o.src.how), int(How::conversation));
    assert_int_equal(f.process(o.src.process_id)->p.pid, 4242);
    // ... but not for a new connection on the same tuple.
    o = a.attribute(plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpSyn), kT0 + 11 * kSec));
    assert_false(o.src.known());
    // A new file forgets the flows.
    a.new_file();
    o = a.attribute(plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpAck), kT0 + 11 * kSec));
    assert_false(o.src.known());

    // RST from a port no socket had, on the watched host: the kernel's.
    o = a.attribute(plan(tcp("10.0.0.1:9", "10.0.0.2:5555", kTcpRst | kTcpAck), kT0 + 5 * kSec));
    assert_int_equal(int(o.src.how), int(How::kernel));
    // Not a watched host, or no collector running then: unknown, not guessed.
    o = a.attribute(plan(tcp("10.0.0.2:80", "10.0.0.1:40000", kTcpRst), kT0 + 5 * kSec));
    assert_false(o.src.known());
    o = a.attribute(plan(tcp("10.0.0.1:9", "10.0.0.2:5555", kTcpRst), kT0 + 200 * kSec));
    assert_false(o.src.known());
    // An RST sent by a socket is that socket's owner's.
    o = a.attribute(plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpRst), kT0 + 1500 * kMs));
    assert_int_equal(int(o.src.how), int(How::exact));

    // Echo reply on loopback: the kernel sent it, the ping socket (id 7) takes it.
    Transport reply;
    reply.proto = Proto::icmp;
    reply.src = ep("127.0.0.1:0");
    reply.dst = ep("127.0.0.1:0");
    reply.icmp = IcmpKind::echo_reply;
    reply.echo_id = 7;
    o = a.attribute(plan(reply, kT0 + 5 * kSec));
    assert_int_equal(int(o.src.how), int(How::kernel));
    assert_int_equal(int(o.dst.how), int(How::wildcard));
    assert_int_equal(f.process(o.dst.process_id)->p.pid, 8001);
    o = a.attribute(plan(reply, kT0 + 200 * kSec));
    assert_false(o.src.known());
}

// A SYN's receiver is the listener, even when the connection it becomes (served by
// another process) opens within the time slack.
void syn_goes_to_the_listener(void**) {
    ScratchDir dir;
    std::string path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("ebpf", "test", kT0);
        w.open_socket(sock(Proto::tcp, "0.0.0.0:80", "0.0.0.0:0", kT0), process(100, 1, "acceptor"));
        auto s = sock(Proto::tcp, "10.0.0.1:80", "10.0.0.2:5000", kT0 + 10 * kSec);
        w.close_socket(w.open_socket(s, process(100, 1, "acceptor")), kT0 + 10 * kSec);
        w.open_socket(s, process(200, 2, "child"));
    }
    JournalFollower f(path);
    f.refresh(0);
    Attributor a(f, {});
    auto o = a.attribute(plan(tcp("10.0.0.2:5000", "10.0.0.1:80", kTcpSyn), kT0 + 10 * kSec - kMs));
    assert_int_equal(int(o.dst.how), int(How::wildcard));
    assert_int_equal(f.process(o.dst.process_id)->p.pid, 100);
    o = a.attribute(plan(tcp("10.0.0.2:5000", "10.0.0.1:80", kTcpAck), kT0 + 10 * kSec + kMs));
    assert_int_equal(int(o.dst.how), int(How::exact));
    assert_int_equal(f.process(o.dst.process_id)->p.pid, 200);
}

Transport echo_request(const char* src, const char* dst, std::uint16_t id) {
    Transport t;
    t.proto = Proto::icmp;
    t.icmp = IcmpKind::echo_request;
    t.src = ep(src);
    t.dst = ep(dst);
    t.echo_id = id;
    return t;
}

void raw_echo_needs_the_pid_as_id(void**) {
    ScratchDir dir;
    std::string path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("ebpf", "", kT0);
        // Two raw ICMP sockets (protocol 1 as the port): ping (pid 70000, id 70000 &
        // 0xffff = 4464) and a monitoring daemon holding one all along.
        w.open_socket(sock(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0 + kSec), process(70000, 3, "ping"));
        w.open_socket(sock(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0), process(900, 4, "monitor"));
        w.end_run(kT0 + 100 * kSec);
    }
    JournalFollower f(path);
    f.refresh(0);
    Attributor a(f, {});
    auto o = a.attribute(plan(echo_request("10.0.0.1:0", "192.0.2.1:0", 70000 & 0xffff), kT0 + 2 * kSec));
    assert_true(o.src.is_process());
    assert_int_equal(f.process(o.src.process_id)->p.pid, 70000);
    assert_int_equal(int(o.dst.how), int(How::unknown));  // 192.0.2.1 is not watched
    // An id that is no raw socket owner's pid: unknown, though two raw sockets see it.
    o = a.attribute(plan(echo_request("10.0.0.1:0", "192.0.2.1:0", 4242), kT0 + 2 * kSec));
    assert_false(o.src.known());
    // The reply to ping is ping's too.
    Transport reply = echo_request("192.0.2.1:0", "10.0.0.1:0", 70000 & 0xffff);
    reply.icmp = IcmpKind::echo_reply;
    o = a.attribute(plan(reply, kT0 + 2 * kSec));
    assert_int_equal(f.process(o.dst.process_id)->p.pid, 70000);
}

void slack_follows_the_options(void**) {
    Recorded j;
    JournalFollower f(j.path);
    f.refresh(0);
    Attributor a(f, {});
    auto early = plan(tcp("10.0.0.1:40000", "10.0.0.2:80", kTcpSyn), kT0 + 500 * kMs);  // 0.5 s before opened
    assert_true(a.attribute(early).src.known());
    AttributionOptions tight;
    tight.match.slack = tight.match.grace = 100 * kMs;
    a.set_options(tight);
    assert_false(a.attribute(early).src.known());
}

// Fake time for the live wait: sleeping advances both clocks and may write journal rows.
struct FakeWaiter final : Waiter {
    TimeNs wall = kT0 + 50 * kSec, mono = 1000 * kSec, slept = 0;
    int sleeps = 0;
    std::function<void(int)> on_sleep;
    TimeNs wall_now() override { return wall; }
    void sleep(TimeNs d) override {
        wall += d;
        mono += d;
        slept += d;
        ++sleeps;
        if (on_sleep) on_sleep(sleeps);
    }
};

// A collector still running: rows are added while the plugin waits.
struct Live {
    ScratchDir dir;
    std::string path = dir.file("live.db");
    JournalWriter w{path};
    FakeWaiter waiter;
    JournalFollower f{path, [this] { return waiter.mono; }};
    Attributor a{f, {}};
    Live() {
        w.begin_run("procfs", "test", kT0);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "0.0.0.0:0", kT0), process(1, 1, "sshd"));
        w.flush();
        f.refresh(0);
    }
};

void live_waits_for_a_new_flows_row(void**) {
    Live l;
    TimeNs t = l.waiter.wall;  // captured just now
    l.waiter.on_sleep = [&](int n) {
        if (n == 3) {
            l.w.open_socket(sock(Proto::tcp, "10.0.0.1:41000", "192.0.2.10:443", t), process(4242, 9, "curl"));
            l.w.flush();
        }
    };
    auto o = l.a.attribute_live(plan(tcp("10.0.0.1:41000", "192.0.2.10:443", kTcpSyn), t), l.waiter);
    assert_int_equal(int(o.src.how), int(How::exact));
    assert_int_equal(l.f.process(o.src.process_id)->p.pid, 4242);
    assert_false(o.dst.known());  // 192.0.2.10 is not watched: never waited for
    assert_int_equal(l.waiter.sleeps, 3);
    assert_int_equal(l.a.waits(), 1);
}

void live_wait_is_bounded_and_once_per_flow(void**) {
    Live l;
    TimeNs t = l.waiter.wall;
    auto reads = l.f.reads();
    auto o = l.a.attribute_live(plan(tcp("10.0.0.1:41001", "192.0.2.10:443", kTcpSyn), t), l.waiter);
    assert_false(o.src.known());
    assert_int_equal(l.waiter.slept, 100 * kMs);  // until the packet's time + live_wait
    assert_true(l.f.reads() - reads <= 10);       // re-read at most every 10 ms meanwhile
    assert_true(l.f.reads() - reads >= 5);
    // The flow's next packets, and the reverse direction's side of it, do not wait again.
    auto slept = l.waiter.slept;
    l.a.attribute_live(plan(tcp("10.0.0.1:41001", "192.0.2.10:443", kTcpAck), l.waiter.wall), l.waiter);
    l.a.attribute_live(plan(tcp("192.0.2.10:443", "10.0.0.1:41001", kTcpAck), l.waiter.wall), l.waiter);
    assert_int_equal(l.waiter.slept, slept);
    assert_int_equal(l.a.waits(), 1);
}

void live_no_wait_for_old_packets_or_foreign_hosts(void**) {
    Live l;
    l.a.attribute_live(plan(tcp("10.0.0.1:41002", "192.0.2.10:443", kTcpSyn), l.waiter.wall - 200 * kMs), l.waiter);
    l.a.attribute_live(plan(tcp("192.0.2.10:443", "192.0.2.11:41003", kTcpSyn), l.waiter.wall), l.waiter);
    assert_int_equal(l.waiter.sleeps, 0);
    // A listener's packets are answered straight from the journal.
    auto o = l.a.attribute_live(plan(tcp("192.0.2.10:41004", "10.0.0.1:22", kTcpSyn), l.waiter.wall), l.waiter);
    assert_int_equal(int(o.dst.how), int(How::local));
    assert_int_equal(l.waiter.sleeps, 0);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(journal_then_kernel_then_conversation),
        cmocka_unit_test(syn_goes_to_the_listener),
        cmocka_unit_test(slack_follows_the_options),
        cmocka_unit_test(raw_echo_needs_the_pid_as_id),
        cmocka_unit_test(live_waits_for_a_new_flows_row),
        cmocka_unit_test(live_wait_is_bounded_and_once_per_flow),
        cmocka_unit_test(live_no_wait_for_old_packets_or_foreign_hosts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
