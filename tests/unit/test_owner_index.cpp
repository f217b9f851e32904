// The lookup rules shared by `sockowner lookup` and the plugin.
#include "owner_index.hpp"

#include <random>
#include <vector>

#include "test_helpers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

struct Fixture {
    OwnerIndex index;
    std::int64_t next_id = 1;
    std::int64_t add(const SocketRecord& s, std::int64_t process_id) {
        SocketRow r;
        r.id = next_id++;
        r.process_id = process_id;
        r.s = s;
        index.upsert(r);
        return r.id;
    }
    std::optional<OwnerMatch> find(Proto p, const char* local, const char* remote, TimeNs at,
                                   MatchOptions opt = {}) const {
        return index.find(OwnerQuery{p, ep(local), ep(remote), at}, opt);
    }
    std::int64_t owner(Proto p, const char* local, const char* remote, TimeNs at) const {
        auto m = find(p, local, remote, at);
        return m ? m->socket->process_id : 0;
    }
};

void exact_tuple_beats_listener(void**) {
    Fixture f;
    f.add(sock(Proto::tcp, "0.0.0.0:8000", "0.0.0.0:0", kT0), 100);                   // listener
    f.add(sock(Proto::tcp, "127.0.0.1:8000", "127.0.0.1:5555", kT0 + kSec), 101);     // accepted
    f.add(sock(Proto::tcp, "127.0.0.1:5555", "127.0.0.1:8000", kT0 + kSec), 200);     // client
    auto m = f.find(Proto::tcp, "127.0.0.1:8000", "127.0.0.1:5555", kT0 + 2 * kSec);
    assert_true(m.has_value());
    assert_int_equal(m->socket->process_id, 101);
    assert_int_equal(int(m->kind), int(MatchKind::exact));
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:5555", "127.0.0.1:8000", kT0 + 2 * kSec), 200);
    // Another client: only the listener knows that port.
    m = f.find(Proto::tcp, "127.0.0.1:8000", "127.0.0.1:6666", kT0 + 2 * kSec);
    assert_true(m.has_value());
    assert_int_equal(m->socket->process_id, 100);
    assert_int_equal(int(m->kind), int(MatchKind::wildcard));
    // Protocol matters.
    assert_false(f.find(Proto::udp, "127.0.0.1:8000", "127.0.0.1:6666", kT0 + 2 * kSec).has_value());
}

void local_endpoint_for_unconnected_udp(void**) {
    Fixture f;
    f.add(sock(Proto::udp, "10.0.0.1:53", "0.0.0.0:0", kT0), 300);
    f.add(sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0), 301);
    auto m = f.find(Proto::udp, "10.0.0.1:53", "10.0.0.9:40000", kT0 + kSec);
    assert_true(m.has_value());
    assert_int_equal(m->socket->process_id, 300);
    assert_int_equal(int(m->kind), int(MatchKind::local));
    assert_int_equal(f.owner(Proto::udp, "10.0.0.2:53", "10.0.0.9:40000", kT0 + kSec), 301);
}

void dual_stack_listener_matches_ipv4(void**) {
    Fixture f;
    f.add(sock(Proto::tcp, "[::]:443", "[::]:0", kT0), 400);
    assert_int_equal(f.owner(Proto::tcp, "192.168.1.5:443", "192.168.1.9:50000", kT0 + kSec), 400);
    assert_int_equal(f.owner(Proto::tcp, "[2001:db8::1]:443", "[2001:db8::2]:50000", kT0 + kSec), 400);
}

// An IPv4 socket never owns IPv6 traffic: `python3 -m http.server` listens on
// 0.0.0.0 only, and a SYN to [::1] on its port is refused by the kernel.
void ipv4_wildcard_never_matches_ipv6(void**) {
    Fixture f;
    f.add(sock(Proto::tcp, "0.0.0.0:8765", "0.0.0.0:0", kT0), 600);
    f.add(sock(Proto::udp, "0.0.0.0:5353", "0.0.0.0:0", kT0), 601);
    f.add(sock(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0), 602);
    assert_false(f.find(Proto::tcp, "[::1]:8765", "[::1]:41586", kT0 + kSec).has_value());
    assert_false(f.find(Proto::udp, "[2001:db8::1]:5353", "[2001:db8::2]:5353", kT0 + kSec).has_value());
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:8765", "127.0.0.1:41586", kT0 + kSec), 600);
    OwnerIndex& idx = f.index;
    assert_int_equal(idx.find_all_unconnected(OwnerQuery{Proto::raw, *parse_endpoint("[::1]:1"), {}, kT0 + kSec}, {})
                         .size(), 0);
    assert_int_equal(idx.find_all_unconnected(OwnerQuery{Proto::raw, *parse_endpoint("127.0.0.1:1"), {}, kT0 + kSec}, {})
                         .size(), 1);
    // With both an IPv4 and a dual-stack listener, IPv4 packets go to the IPv4 one.
    f.add(sock(Proto::tcp, "[::]:8765", "[::]:0", kT0), 603);
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:8765", "127.0.0.1:41586", kT0 + kSec), 600);
    assert_int_equal(f.owner(Proto::tcp, "[::1]:8765", "[::1]:41586", kT0 + kSec), 603);
}

void v4_mapped_addresses_are_ipv4(void**) {
    Fixture f;
    // What an AF_INET6 socket reports for an IPv4 peer.
    f.add(sock(Proto::tcp, "[::ffff:127.0.0.1]:47003", "[::ffff:127.0.0.1]:36064", kT0), 500);
    auto m = f.find(Proto::tcp, "127.0.0.1:47003", "127.0.0.1:36064", kT0 + kSec);
    assert_true(m.has_value());
    assert_int_equal(int(m->kind), int(MatchKind::exact));
    assert_int_equal(m->socket->process_id, 500);
}

void port_reuse_resolved_by_time(void**) {
    Fixture f;
    // The same client port used by three connections one after another.
    f.add(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0, kT0 + 10 * kSec), 1);
    f.add(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 20 * kSec, kT0 + 30 * kSec), 2);
    f.add(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 30 * kSec + kSec / 2), 3);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 5 * kSec), 1);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 25 * kSec), 2);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 100 * kSec), 3);
    // Within grace after the first closed: still the first (a FIN after close).
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 10 * kSec + kSec / 2), 1);
    // Between intervals, beyond slack and grace: nobody.
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 15 * kSec), 0);
    // Slack before the first opened (SYN sent just before the procfs poll saw it).
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 - kSec / 2), 1);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 - 2 * kSec), 0);
    // Where the second's grace overlaps the third's slack: an interval that strictly
    // contains the time wins, otherwise the nearer one.
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 30 * kSec + kSec / 5), 2);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 30 * kSec + 2 * kSec / 5), 3);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 30 * kSec + 3 * kSec / 5), 3);
}

void pid_reuse_resolved_by_time(void**) {
    // Two processes with the same pid own the same listener port in turn: they are
    // different process rows, so the interval's process_id tells them apart.
    Fixture f;
    f.add(sock(Proto::udp, "0.0.0.0:5353", "0.0.0.0:0", kT0, kT0 + 5 * kSec), 11);
    f.add(sock(Proto::udp, "0.0.0.0:5353", "0.0.0.0:0", kT0 + 60 * kSec), 12);
    assert_int_equal(f.owner(Proto::udp, "10.1.1.1:5353", "224.0.0.251:5353", kT0 + kSec), 11);
    assert_int_equal(f.owner(Proto::udp, "10.1.1.1:5353", "224.0.0.251:5353", kT0 + 61 * kSec), 12);
}

void updates_close_and_reassign(void**) {
    Fixture f;
    std::int64_t id = f.add(sock(Proto::tcp, "127.0.0.1:9000", "127.0.0.1:9001", kT0), 1);
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:9000", "127.0.0.1:9001", kT0 + 100 * kSec), 1);
    SocketRow r;
    r.id = id;
    r.process_id = 2;  // accept() in a worker re-attributed it
    r.s = sock(Proto::tcp, "127.0.0.1:9000", "127.0.0.1:9001", kT0, kT0 + 10 * kSec);
    f.index.upsert(r);
    assert_int_equal(f.index.size(), 1);
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:9000", "127.0.0.1:9001", kT0 + 5 * kSec), 2);
    assert_int_equal(f.owner(Proto::tcp, "127.0.0.1:9000", "127.0.0.1:9001", kT0 + 100 * kSec), 0);
}

void icmp_echo_id_is_the_port(void**) {
    Fixture f;
    f.add(sock(Proto::icmp, "0.0.0.0:4242", "0.0.0.0:0", kT0), 7);
    assert_int_equal(f.owner(Proto::icmp, "10.0.0.1:4242", "10.0.0.2:0", kT0 + kSec), 7);
    assert_int_equal(f.owner(Proto::icmp, "10.0.0.1:4243", "10.0.0.2:0", kT0 + kSec), 0);
}

void raw_sockets_all_listed(void**) {
    Fixture f;
    // Two raw ICMP sockets (protocol 1 as the "port"): one on any address, one bound;
    // a third closed long before.
    f.add(sock(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0, kT0 + 10 * kSec), 300);
    f.add(sock(Proto::raw, "10.0.0.1:1", "0.0.0.0:0", kT0 + kSec), 301);
    f.add(sock(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0 - 100 * kSec, kT0 - 50 * kSec), 302);
    auto all = f.index.find_all_unconnected(OwnerQuery{Proto::raw, ep("10.0.0.1:1"), ep("0.0.0.0:0"), kT0 + 2 * kSec}, {});
    assert_int_equal(all.size(), 2);
    assert_int_equal(all[0].socket->process_id, 301);  // bound to the address: first
    assert_int_equal(int(all[0].kind), int(MatchKind::local));
    assert_int_equal(all[1].socket->process_id, 300);
    assert_int_equal(int(all[1].kind), int(MatchKind::wildcard));
    // Later only the bound one is open; within the grace the other still counts, after
    // it, strict matches come before near ones.
    auto later = f.index.find_all_unconnected(OwnerQuery{Proto::raw, ep("10.0.0.1:1"), {}, kT0 + 10 * kSec + kSec / 2}, {});
    assert_int_equal(later.size(), 2);
    assert_int_equal(later[0].socket->process_id, 301);
    auto alone = f.index.find_all_unconnected(OwnerQuery{Proto::raw, ep("10.0.0.1:1"), {}, kT0 + 20 * kSec}, {});
    assert_int_equal(alone.size(), 1);
    assert_int_equal(alone[0].socket->process_id, 301);
    assert_int_equal(f.index.find_all_unconnected(OwnerQuery{Proto::raw, ep("10.0.0.2:1"), {}, kT0 - 200 * kSec}, {}).size(), 0);
}

void slack_is_configurable(void**) {
    Fixture f;
    f.add(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0, kT0 + kSec), 1);
    MatchOptions tight{0, 0};
    assert_false(f.find(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0 - 1, tight).has_value());
    assert_true(f.find(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0, tight).has_value());
    assert_false(f.find(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0 + kSec + 1, tight).has_value());
}

// A crafted journal's ids can be anything: memory follows the rows, not the ids.
void sparse_ids_cost_rows_not_ids(void**) {
    Fixture f;
    for (std::int64_t id : {std::int64_t(1), std::int64_t(1) << 26, std::int64_t(1) << 40, std::int64_t(3)}) {
        SocketRow r;
        r.id = id;
        r.process_id = id;
        r.s = sock(Proto::tcp, "10.0.0.1:80", "10.0.0.2:1", kT0 + id % 1000);
        r.s.remote.port = std::uint16_t(id % 60000 + 1);
        f.index.upsert(r);
    }
    assert_int_equal(f.index.size(), 4);
    IdMap m;
    m.set(std::int64_t(1) << 40, 7);
    m.set(5, 8);
    m.set(std::int64_t(1) << 40, 9);  // an update, in the map
    assert_int_equal(m.find(std::int64_t(1) << 40), 9);
    assert_int_equal(m.find(5), 8);
    assert_int_equal(m.find(6), IdMap::kNone);
    assert_int_equal(m.size(), 2);
    assert_true(m.memory_bytes() < (1u << 20));
}

// The lookup rule spelt out on a list of intervals, newest first: what every chain,
// short or long, must answer.
struct Interval {
    std::int64_t process_id;
    TimeNs opened, closed;  // closed INT64_MAX: still open
};
std::int64_t reference_owner(const std::vector<Interval>& newest_first, TimeNs at, const MatchOptions& opt) {
    const Interval* best = nullptr;
    bool best_strict = false;
    TimeNs best_distance = INT64_MAX;
    for (const Interval& e : newest_first) {
        TimeNs until = e.closed == INT64_MAX ? e.closed : e.closed + opt.grace;
        if (at < e.opened - opt.slack || at > until) continue;
        bool strict = at >= e.opened && at <= e.closed;
        TimeNs distance = strict ? at - e.opened : (at < e.opened ? e.opened - at : at - e.closed);
        if ((strict && !best_strict) || (strict == best_strict && distance < best_distance)) {
            best = &e;
            best_strict = strict;
            best_distance = distance;
        }
    }
    return best ? best->process_id : 0;
}

// One tuple's intervals, in an index and spelt out for the rule side by side: added,
// closed again by an update (as the collector reports it, or a damaged journal), and
// compared with the rule at a time.
struct RuleChain {
    static constexpr const char* kLocal = "10.0.0.1:40000";
    static constexpr const char* kRemote = "10.0.0.2:80";
    Fixture f;
    std::vector<Interval> all;      // newest first
    std::vector<std::int64_t> ids;  // in the order added
    void add(TimeNs opened, TimeNs closed) {  // closed INT64_MAX: still open
        const std::int64_t process_id = 1000 + std::int64_t(ids.size());
        auto s = sock(Proto::tcp, kLocal, kRemote, opened);
        if (closed != INT64_MAX) s.closed = closed;
        ids.push_back(f.add(s, process_id));
        all.insert(all.begin(), Interval{process_id, opened, closed});
    }
    Interval& added(std::size_t k) { return all[all.size() - 1 - k]; }  // the k-th added
    void close(std::size_t k, TimeNs closed) {  // INT64_MAX: open again
        Interval& e = added(k);
        e.closed = closed;
        SocketRow r;
        r.id = ids[k];
        r.process_id = e.process_id;
        r.s = sock(Proto::tcp, kLocal, kRemote, e.opened);
        if (closed != INT64_MAX) r.s.closed = closed;
        f.index.upsert(r);
    }
    // The owner the index finds at `at`, and the rule's.
    std::pair<std::int64_t, std::int64_t> owners(TimeNs at, const MatchOptions& opt) const {
        auto m = f.find(Proto::tcp, kLocal, kRemote, at, opt);
        return {m ? m->socket->process_id : 0, reference_owner(all, at, opt)};
    }
};

// Many intervals on one tuple (sorted chains take over past 16): port reuse one after
// another, overlaps, equal open and close times, intervals added out of time order,
// still-open ones, and intervals closed later by an update; every lookup agrees with
// the rule, strict matches before near ones, the nearer of two near ones.
void long_chains_choose_as_the_rule_does(void**) {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 40; ++round) {
        RuleChain c;
        int n = 1 + int(rng() % 300);
        TimeNs t = kT0;
        for (int i = 0; i < n; ++i) {
            TimeNs opened = rng() % 8 == 0 ? kT0 + TimeNs(rng() % 200) * kSec / 2 : (t += TimeNs(rng() % 4) * kSec / 2);
            c.add(opened, rng() % 10 == 0 ? INT64_MAX : opened + TimeNs(rng() % 6) * kSec / 2);
        }
        // Close some of the open ones later, as the collector reports it.
        for (std::size_t k = 0; k < c.ids.size(); ++k) {
            if (c.added(k).closed != INT64_MAX || rng() % 2) continue;
            c.close(k, c.added(k).opened + TimeNs(rng() % 6) * kSec / 2);
        }
        for (MatchOptions opt : {MatchOptions{}, MatchOptions{0, 0}, MatchOptions{kSec / 4, 2 * kSec}}) {
            for (TimeNs at = kT0 - 3 * kSec; at < t + 6 * kSec; at += kSec / 4 + TimeNs(rng() % 3)) {
                auto [got, want] = c.owners(at, opt);
                if (got != want)
                    fail_msg("round %d, %d intervals, at T0%+.2f s: owner %lld, the rule says %lld", round, n,
                             double(at - kT0) / 1e9, (long long)got, (long long)want);
            }
        }
    }
}

// A chain's walk stops at an entry whose older entries all closed too early to match
// (IndexedSocket::after). Closes moved later by an update (a socket seen again after it
// was taken for closed, reopened, or another close time), on chains short and long,
// with times far apart (rounded to seconds): every lookup still agrees with the rule.
void closes_moved_later_are_still_found(void**) {
    std::mt19937_64 rng(1234);
    for (int round = 0; round < 300; ++round) {
        RuleChain c;
        const int n = 1 + int(rng() % (round % 3 == 0 ? 40 : 12));
        TimeNs t = kT0;
        for (int i = 0; i < n; ++i) {
            TimeNs opened = (t += TimeNs(rng() % 50) * kSec / 7);
            c.add(opened, rng() % 8 == 0 ? INT64_MAX : opened + TimeNs(rng() % 9) * kSec / 3 + TimeNs(rng() % 1000));
        }
        auto check = [&](const char* when) {
            for (MatchOptions opt : {MatchOptions{}, MatchOptions{0, 0}, MatchOptions{kSec / 4, 3 * kSec}}) {
                for (TimeNs at = kT0 - 4 * kSec; at < t + 40 * kSec; at += kSec / 5 + TimeNs(rng() % 7)) {
                    auto [got, want] = c.owners(at, opt);
                    if (got != want)
                        fail_msg("round %d (%s), %d intervals, at T0%+.2f s: owner %lld, the rule says %lld", round,
                                 when, n, double(at - kT0) / 1e9, (long long)got, (long long)want);
                }
            }
        };
        check("before");
        for (int u = 0, updates = 1 + int(rng() % 4); u < updates; ++u) {
            const std::size_t k = rng() % c.ids.size();
            const Interval& e = c.added(k);
            c.close(k, rng() % 3 == 0 ? INT64_MAX
                                      : std::max(e.opened, e.closed == INT64_MAX ? e.opened : e.closed) +
                                            TimeNs(rng() % 40) * kSec / 3);
        }
        check("after later closes");
    }
}

// A damaged journal: a row updated with another tuple (the index keeps it on its first)
// and a later close. Its chain cannot be found from the row: walks read whole chains
// from then on, and the later close is still found.
void later_close_under_another_tuple(void**) {
    Fixture f;
    const char* local = "10.0.0.1:40000";
    const char* remote = "10.0.0.2:80";
    const std::int64_t first = f.add(sock(Proto::tcp, local, remote, kT0, kT0 + kSec), 1);
    for (int i = 1; i < 4; ++i)  // 100 s apart: the walk stops at the newest
        f.add(sock(Proto::tcp, local, remote, kT0 + i * 100 * kSec, kT0 + i * 100 * kSec + kSec), i + 1);
    f.add(sock(Proto::tcp, "10.0.0.1:40001", remote, kT0), 9);  // the tuple the update names
    assert_int_equal(f.owner(Proto::tcp, local, remote, kT0 + 250 * kSec), 0);
    SocketRow r;
    r.id = first;
    r.process_id = 1;
    r.s = sock(Proto::tcp, "10.0.0.1:40001", remote, kT0, kT0 + 260 * kSec);
    f.index.upsert(r);
    // Between the third and fourth intervals, only the first (now closing at +260 s) holds.
    assert_int_equal(f.owner(Proto::tcp, local, remote, kT0 + 250 * kSec), 1);
    assert_int_equal(f.owner(Proto::tcp, local, remote, kT0 + 300 * kSec + kSec / 2), 4);
    // The same update under its own tuple: carried to the newer entries.
    Fixture g;
    const std::int64_t id = g.add(sock(Proto::tcp, local, remote, kT0, kT0 + kSec), 1);
    for (int i = 1; i < 4; ++i)
        g.add(sock(Proto::tcp, local, remote, kT0 + i * 100 * kSec, kT0 + i * 100 * kSec + kSec), i + 1);
    r.id = id;
    r.s = sock(Proto::tcp, local, remote, kT0, kT0 + 260 * kSec);
    g.index.upsert(r);
    assert_int_equal(g.owner(Proto::tcp, local, remote, kT0 + 250 * kSec), 1);
}

// Port reuse on a busy port: the same client tuple used 1000 times in a row.
void port_reuse_over_a_long_history(void**) {
    Fixture f;
    for (int i = 0; i < 1000; ++i)
        f.add(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + i * 10 * kSec, kT0 + i * 10 * kSec + 5 * kSec),
              i + 1);
    for (int i : {0, 1, 499, 998, 999}) {
        assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + i * 10 * kSec + 2 * kSec), i + 1);
        // Within grace after the close: the same; between the intervals: nobody.
        assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + i * 10 * kSec + 5 * kSec + kSec / 2),
                         i + 1);
        assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + i * 10 * kSec + 7 * kSec), 0);
    }
    // Within slack before the next one opens, nearer to it than to the last close.
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 10 * kSec - kSec / 4), 2);
    // A reopened interval (a new owner after the close) at the end, still open.
    f.add(sock(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 10000 * kSec), 5000);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 20000 * kSec), 5000);
    assert_int_equal(f.owner(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + 9990 * kSec + 2 * kSec), 1000);
}


// A port used again: each interval that no other reaches into (with slack and grace)
// holds over all of its own times, as a tuple's only interval does; two that overlap
// hold only at the time asked. The client side of a busy host's connections.
void reused_port_spans(void**) {
    Fixture f;
    const char* local = "10.0.0.1:40000";
    const char* remote = "10.0.0.2:80";
    for (int i = 0; i < 4; ++i)  // 10 s apart, 5 s long: alone
        f.add(sock(Proto::tcp, local, remote, kT0 + i * 10 * kSec, kT0 + i * 10 * kSec + 5 * kSec), i + 1);
    AnswerSpan span;
    auto m = f.index.find(OwnerQuery{Proto::tcp, ep(local), ep(remote), kT0 + 22 * kSec}, MatchOptions{}, &span);
    assert_true(m.has_value());
    assert_int_equal(m->socket->id, 3);
    assert_true(span.from == kT0 + 19 * kSec && span.to == kT0 + 26 * kSec);
    // A fifth that opens within the fourth's grace: both hold only at the time asked.
    f.add(sock(Proto::tcp, local, remote, kT0 + 35 * kSec + kSec / 2, kT0 + 40 * kSec), 5);
    const TimeNs at = kT0 + 32 * kSec;
    m = f.index.find(OwnerQuery{Proto::tcp, ep(local), ep(remote), at}, MatchOptions{}, &span);
    assert_int_equal(m->socket->id, 4);
    assert_true(span.from == at && span.to == at);
    // The third is still alone.
    f.index.find(OwnerQuery{Proto::tcp, ep(local), ep(remote), kT0 + 21 * kSec}, MatchOptions{}, &span);
    assert_true(span.from == kT0 + 19 * kSec && span.to == kT0 + 26 * kSec);
}

// The span find() gives: at any time within it, the same tuple gets the same answer
// (the same interval found the same way, or none), whatever else the index holds:
// connections with one interval or several, listeners, wildcards, sockets still open.
void answer_holds_over_its_span(void**) {
    std::mt19937_64 rng(7);
    const char* locals[] = {"10.0.0.1:40000", "10.0.0.1:8080", "0.0.0.0:8080", "[::]:8080", "10.0.0.1:40001"};
    const char* remotes[] = {"10.0.0.2:80", "10.0.0.3:5555", "0.0.0.0:0"};
    const char* asked_locals[] = {"10.0.0.1:40000", "10.0.0.1:8080", "10.0.0.1:40001", "10.0.0.1:9999"};
    int spans = 0, whole = 0;
    for (int round = 0; round < 200; ++round) {
        Fixture f;
        for (int i = 0, n = int(rng() % 6); i < n; ++i) {
            TimeNs opened = kT0 + TimeNs(rng() % 40) * kSec / 2;
            std::optional<TimeNs> closed;
            if (rng() % 4) closed = opened + TimeNs(rng() % 20) * kSec / 2;
            f.add(sock(Proto::tcp, locals[rng() % 5], remotes[rng() % 3], opened, closed), 100 + i);
        }
        for (int q = 0; q < 20; ++q) {
            OwnerQuery query{Proto::tcp, ep(asked_locals[rng() % 4]), ep(remotes[rng() % 2]),
                             kT0 + TimeNs(rng() % 60) * kSec / 2 - 5 * kSec};
            AnswerSpan span;
            auto m = f.index.find(query, MatchOptions{}, &span);
            assert_false(span.empty());
            assert_true(span.from <= query.at && query.at <= span.to);
            if (span.from == query.at && span.to == query.at) continue;
            ++spans;
            whole += span.from == INT64_MIN;
            // Every time the span holds, sampled where the intervals are (and its ends).
            TimeNs lo = std::max(span.from, kT0 - 20 * kSec), hi = std::min(span.to, kT0 + 60 * kSec);
            for (TimeNs at : {span.from, span.to, lo, hi, lo + (hi - lo) / 3, lo + (hi - lo) / 2}) {
                OwnerQuery later = query;
                later.at = at;
                auto again = f.index.find(later, MatchOptions{});
                if (again.has_value() != m.has_value() || (m && (again->socket != m->socket || again->kind != m->kind)))
                    fail_msg("round %d: the answer at T0%+.2f s differs from the one at T0%+.2f s", round,
                             double(at - kT0) / 1e9, double(query.at - kT0) / 1e9);
            }
        }
    }
    // Both kinds were tried: a connection's only interval, and tuples nobody has.
    assert_true(spans - whole > 100);
    assert_true(whole > 100);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(exact_tuple_beats_listener),
        cmocka_unit_test(local_endpoint_for_unconnected_udp),
        cmocka_unit_test(dual_stack_listener_matches_ipv4),
        cmocka_unit_test(v4_mapped_addresses_are_ipv4),
        cmocka_unit_test(ipv4_wildcard_never_matches_ipv6),
        cmocka_unit_test(sparse_ids_cost_rows_not_ids),
        cmocka_unit_test(port_reuse_resolved_by_time),
        cmocka_unit_test(pid_reuse_resolved_by_time),
        cmocka_unit_test(updates_close_and_reassign),
        cmocka_unit_test(icmp_echo_id_is_the_port),
        cmocka_unit_test(slack_is_configurable),
        cmocka_unit_test(raw_sockets_all_listed),
        cmocka_unit_test(long_chains_choose_as_the_rule_does),
        cmocka_unit_test(port_reuse_over_a_long_history),
        cmocka_unit_test(closes_moved_later_are_still_found),
        cmocka_unit_test(later_close_under_another_tuple),
        cmocka_unit_test(reused_port_spans),
        cmocka_unit_test(answer_holds_over_its_span),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
