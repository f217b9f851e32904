// Deciding each side's owner from the journal: the index first, then the kernel where
// the rules allow and a collector watched, then the flow's earlier owner; and in live
// captures the bounded wait for rows not written yet.
#include "attribution.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

#include <random>

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

// A journal with a run begun at kT0 and what `write` adds to it, and a follower that
// has read it.
struct Written {
    ScratchDir dir;
    std::string path;
    JournalFollower f;
    template <class Write>
    explicit Written(Write write) : path(make(dir, write)), f(path) {
        f.refresh(0);
    }
    template <class Write>
    static std::string make(ScratchDir& dir, Write write) {
        std::string path = dir.file("j.db");
        JournalWriter w(path);
        w.begin_run("ebpf", "test", kT0);
        write(w);
        return path;
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
    Written j([](JournalWriter& w) {
        w.open_socket(sock(Proto::tcp, "0.0.0.0:80", "0.0.0.0:0", kT0), process(100, 1, "acceptor"));
        auto s = sock(Proto::tcp, "10.0.0.1:80", "10.0.0.2:5000", kT0 + 10 * kSec);
        w.close_socket(w.open_socket(s, process(100, 1, "acceptor")), kT0 + 10 * kSec);
        w.open_socket(s, process(200, 2, "child"));
    });
    JournalFollower& f = j.f;
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


// attribute_flow(), counting the packets that took their flow's last owners.
struct FastPath {
    Attributor& a;
    FlowMemo<Repeat> memo;
    int repeated = 0;
    FrameOwners owners(const Transport& t, TimeNs at) {
        bool again = false;
        FrameOwners o = attribute_flow(a, memo, {t, std::nullopt}, at, &again);
        repeated += again;
        return o;
    }
};

// A flow's later packets take its last owners through again() (attribute_flow(), as
// annotate does; the plugin has its own copy, keeping frame records) exactly when
// attribute() would give them the same: one Attributor attributes every packet in
// full, another through attribute_flow(), over packets in both directions with
// every kind of flag, times mostly forward with jumps back, sockets handed over, a
// socket and a reused tuple written to the journal midway, and a new file.
void again_answers_as_attribute_does(void**) {
    ScratchDir dir;
    std::string path = dir.file("j.db");
    JournalWriter w(path);
    w.begin_run("ebpf", "test", kT0);
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + kSec), process(10, 1, "curl")),
                   kT0 + 2 * kSec);
    w.open_socket(sock(Proto::tcp, "127.0.0.1:5000", "127.0.0.1:6000", kT0 + kSec), process(20, 2, "client"));
    w.close_socket(w.open_socket(sock(Proto::tcp, "127.0.0.1:6000", "127.0.0.1:5000", kT0 + kSec), process(30, 3, "server-a")),
                   kT0 + 3 * kSec);
    w.open_socket(sock(Proto::tcp, "127.0.0.1:6000", "127.0.0.1:5000", kT0 + 3 * kSec), process(31, 4, "server-b"));
    w.close_socket(w.open_socket(sock(Proto::udp, "10.0.0.1:53000", "0.0.0.0:0", kT0 + kSec / 2), process(40, 5, "dig")),
                   kT0 + 6 * kSec);
    w.open_socket(sock(Proto::tcp, "0.0.0.0:22", "0.0.0.0:0", kT0), process(50, 6, "sshd"));
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:22", "192.0.2.7:5555", kT0 + 2 * kSec), process(51, 7, "sshd")),
                   kT0 + 7 * kSec);
    w.open_socket(sock(Proto::udp, "10.0.0.1:7000", "0.0.0.0:0", kT0), process(60, 8, "self"));
    w.flush();

    JournalFollower full_journal(path), fast_journal(path);
    full_journal.refresh(0);
    fast_journal.refresh(0);
    // A short idle time: flows' owners are recalled, and then no longer.
    AttributionOptions opt;
    opt.conversation_idle = 700 * kMs;
    Attributor full(full_journal, opt), fast(fast_journal, opt);
    FastPath fast_path{fast, {}};

    const char* flows[][2] = {
        {"10.0.0.1:40000", "10.0.0.2:80"},   {"127.0.0.1:5000", "127.0.0.1:6000"}, {"10.0.0.1:53000", "9.9.9.9:53"},
        {"192.0.2.7:5555", "10.0.0.1:22"},   {"10.0.0.1:40001", "10.0.0.2:443"},   {"10.0.0.1:7000", "10.0.0.1:7000"},
    };
    const std::uint8_t flags[] = {kTcpAck, kTcpAck, kTcpAck, kTcpAck, kTcpAck | 0x08, kTcpAck | 0x08, kTcpAck | 0x08,
                                  kTcpFin | kTcpAck, kTcpSyn, kTcpSyn | kTcpAck, kTcpRst, kTcpRst | kTcpAck};
    std::mt19937 rng(42);
    TimeNs at = kT0;
    int plain = 0;  // packets plain_lookups() lets take their flow's last owners
    const int kPackets = 30000;
    for (int i = 0; i < kPackets; ++i) {
        if (i == kPackets / 2) {  // the collector writes meanwhile
            w.open_socket(sock(Proto::tcp, "10.0.0.1:40001", "10.0.0.2:443", at), process(70, 9, "wget"));
            w.open_socket(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", at), process(71, 10, "curl"));
            w.flush();
            full_journal.refresh(0);
            fast_journal.refresh(0);
        }
        if (i == kPackets * 3 / 4) {
            full.new_file();
            fast.new_file();
        }
        switch (rng() % 500) {  // ~8 s in all
            case 0: at += kSec; break;
            case 1 ... 9: at -= TimeNs(rng() % 500) * kMs; break;  // out of order
            default: at += TimeNs(rng() % 500) * 1000;
        }
        at = std::clamp(at, kT0, kT0 + 9 * kSec);
        const auto& f = flows[rng() % std::size(flows)];
        bool back = rng() % 2;
        Transport t = tcp(f[back], f[!back], flags[rng() % std::size(flags)]);
        if (t.dst.port == 53 || t.src.port == 53 || t.src.port == 7000) {
            t.proto = Proto::udp;
            t.tcp_flags = 0;
        }

        FrameOwners want = full.attribute(plan(t, at));
        plain += plain_lookups(PacketTuple{t, std::nullopt});
        FrameOwners got = fast_path.owners(t, at);
        // (Each follower numbers its reads: SideOwner::journal differs between them.)
        auto same = [](const SideOwner& a, const SideOwner& b) {
            return a.how == b.how && a.socket_id == b.socket_id && a.process_id == b.process_id;
        };
        if (!same(got.src, want.src) || !same(got.dst, want.dst))
            fail_msg("packet %d (%s -> %s, flags %#x, +%lld ms): %s/%lld, %s/%lld where attribute() gives %s/%lld, %s/%lld",
                     i, f[back], f[!back], t.tcp_flags, (long long)((at - kT0) / kMs), how_name(got.src.how).data(),
                     (long long)got.src.socket_id, how_name(got.dst.how).data(), (long long)got.dst.socket_id,
                     how_name(want.src.how).data(), (long long)want.src.socket_id, how_name(want.dst.how).data(),
                     (long long)want.dst.socket_id);
    }
    // Most packets are plain ones of a flow seen before: the fast path answered them.
    print_message("%d of %d packets (%d plain ones) took their flow's last owners\n", fast_path.repeated, kPackets,
                  plain);
    assert_true(fast_path.repeated > plain / 3);
}

// A new file forgets the flows: a flow's last owners are not noted on whichever flow
// took its place in the cache (which would then recall them once its socket closes).
void again_holds_within_one_file(void**) {
    Written j([](JournalWriter& w) {
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1000", "10.0.0.2:80", kT0 + kSec), process(10, 1, "x")),
                       kT0 + 2 * kSec);
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1001", "10.0.0.2:80", kT0 + kSec), process(20, 2, "y")),
                       kT0 + 3 * kSec);
    });
    JournalFollower& f = j.f;
    Attributor a(f, {});
    FastPath fast{a, {}};
    Transport x = tcp("10.0.0.1:1000", "10.0.0.2:80", kTcpAck), y = tcp("10.0.0.1:1001", "10.0.0.2:80", kTcpAck);
    fast.owners(x, kT0 + 1500 * kMs);
    a.new_file();
    fast.owners(y, kT0 + 1600 * kMs);  // y's flow is the first the cache holds now, as x's was
    fast.owners(x, kT0 + 1700 * kMs);
    assert_int_equal(fast.repeated, 0);
    // After y's socket closed: y's own owner, recalled.
    auto o = fast.owners(y, kT0 + 5 * kSec);
    assert_int_equal(int(o.src.how), int(How::conversation));
    assert_int_equal(f.process(o.src.process_id)->p.pid, 20);
}

// A flow's packets taking its last owners keep it alive: its FIN after the socket's
// interval (and grace) names the owner, as it does when every packet is attributed.
void again_keeps_the_flow_alive(void**) {
    Written j([](JournalWriter& w) {
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1000", "10.0.0.2:80", kT0 + kSec), process(10, 1, "x")),
                       kT0 + 2 * kSec);
    });
    JournalFollower& f = j.f;
    AttributionOptions opt;
    opt.conversation_idle = 500 * kMs;
    Attributor a(f, opt);
    FastPath fast{a, {}};
    for (TimeNs at = kT0 + kSec; at < kT0 + 2900 * kMs; at += 10 * kMs)
        fast.owners(tcp("10.0.0.1:1000", "10.0.0.2:80", kTcpAck), at);
    assert_true(fast.repeated > 150);
    auto o = fast.owners(tcp("10.0.0.1:1000", "10.0.0.2:80", kTcpFin | kTcpAck), kT0 + 3200 * kMs);
    assert_int_equal(int(o.src.how), int(How::conversation));
    assert_int_equal(f.process(o.src.process_id)->p.pid, 10);
}

// A flow's packets taking its last owners still move the journal's window along:
// a socket opened later on the same tuple is found when its time comes.
void again_reads_the_journal_as_time_goes_on(void**) {
    Written j([](JournalWriter& w) {
        w.open_socket(sock(Proto::udp, "10.0.0.1:5000", "10.0.0.9:53", kT0 + 300 * kSec), process(10, 1, "late"));
    });
    JournalFollower& f = j.f;
    assert_true(f.windowed());
    Attributor a(f, {});
    FastPath fast{a, {}};
    Transport t = tcp("10.0.0.1:5000", "10.0.0.9:53", 0);
    t.proto = Proto::udp;
    for (TimeNs at = kT0; at < kT0 + 250 * kSec; at += 500 * kMs) assert_false(fast.owners(t, at).src.known());
    // Until the window read reaches the socket (~3 minutes in: it grows a minute at
    // least at a time), the packets took the flow's last owners.
    assert_true(fast.repeated > 300);
    auto o = fast.owners(t, kT0 + 301 * kSec);
    assert_int_equal(int(o.src.how), int(How::exact));
    assert_int_equal(f.process(o.src.process_id)->p.pid, 10);
}
}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(journal_then_kernel_then_conversation),
        cmocka_unit_test(syn_goes_to_the_listener),
        cmocka_unit_test(again_answers_as_attribute_does),
        cmocka_unit_test(again_holds_within_one_file),
        cmocka_unit_test(again_keeps_the_flow_alive),
        cmocka_unit_test(again_reads_the_journal_as_time_goes_on),
        cmocka_unit_test(slack_follows_the_options),
        cmocka_unit_test(raw_echo_needs_the_pid_as_id),
        cmocka_unit_test(live_waits_for_a_new_flows_row),
        cmocka_unit_test(live_wait_is_bounded_and_once_per_flow),
        cmocka_unit_test(live_no_wait_for_old_packets_or_foreign_hosts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
