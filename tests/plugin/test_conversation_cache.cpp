// A flow keeps its owner after the socket's interval, until it has been idle too long.
#include "conversation_cache.hpp"
#include "test_helpers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

const SideOwner kCurl{How::exact, 7, 42};
constexpr TimeNs kMs = 1'000'000;

void recalls_by_direction_and_protocol(void**) {
    ConversationCache c(120 * kSec);
    c.remember(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kCurl, kT0);
    auto o = c.recall(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kT0 + 5 * kSec);
    assert_true(o.has_value());
    assert_int_equal(o->process_id, 42);
    assert_int_equal(o->socket_id, 7);
    assert_int_equal(int(o->how), int(How::conversation));
    // The other end of the flow is another socket.
    assert_false(c.recall(Proto::tcp, ep("127.0.0.1:8000"), ep("127.0.0.1:40000"), kT0).has_value());
    assert_false(c.recall(Proto::udp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kT0).has_value());
    assert_false(c.recall(Proto::tcp, ep("[::1]:40000"), ep("[::1]:8000"), kT0).has_value());
    assert_int_equal(c.size(), 1);
}

void idle_flows_are_over(void**) {
    ConversationCache c(10 * kSec);
    c.remember(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kCurl, kT0);
    assert_false(c.recall(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kT0 + 11 * kSec).has_value());
    // Each packet keeps the flow alive.
    assert_true(c.recall(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kT0 + 9 * kSec).has_value());
    assert_true(c.recall(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kT0 + 18 * kSec).has_value());
    // A packet slightly out of order is still the flow's.
    assert_true(c.recall(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kT0 + 17 * kSec).has_value());
    c.clear();
    assert_false(c.recall(Proto::udp, ep("10.0.0.1:53000"), ep("192.0.2.53:53"), kT0 + 18 * kSec).has_value());
}

void later_owner_replaces_earlier(void**) {
    ConversationCache c(120 * kSec);
    c.remember(Proto::tcp, ep("10.0.0.1:40001"), ep("192.0.2.10:80"), kCurl, kT0);
    c.remember(Proto::tcp, ep("10.0.0.1:40001"), ep("192.0.2.10:80"), {How::exact, 8, 43}, kT0 + 20 * kSec);
    auto o = c.recall(Proto::tcp, ep("10.0.0.1:40001"), ep("192.0.2.10:80"), kT0 + 21 * kSec);
    assert_true(o.has_value());
    assert_int_equal(o->process_id, 43);
}

void both_ends_of_a_flow(void**) {
    ConversationCache c(120 * kSec);
    const SideOwner kServer{How::local, 9, 17};
    c.remember(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kCurl, kT0);
    c.remember(Proto::tcp, ep("127.0.0.1:8000"), ep("127.0.0.1:40000"), kServer, kT0);
    assert_int_equal(c.size(), 2);
    auto client = c.recall(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kT0 + kSec);
    auto server = c.recall(Proto::tcp, ep("127.0.0.1:8000"), ep("127.0.0.1:40000"), kT0 + kSec);
    assert_true(client && server);
    assert_int_equal(client->process_id, 42);
    assert_int_equal(server->process_id, 17);
    assert_int_equal(int(server->how), int(How::conversation));
    // Each end keeps its own time: the client's end alone stays alive.
    assert_true(c.recall(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kT0 + 100 * kSec).has_value());
    assert_true(c.recall(Proto::tcp, ep("127.0.0.1:40000"), ep("127.0.0.1:8000"), kT0 + 200 * kSec).has_value());
    assert_false(c.recall(Proto::tcp, ep("127.0.0.1:8000"), ep("127.0.0.1:40000"), kT0 + 200 * kSec).has_value());

    // A socket connected to itself: both ends are the same socket.
    c.remember(Proto::tcp, ep("127.0.0.1:5000"), ep("127.0.0.1:5000"), kCurl, kT0);
    assert_int_equal(c.size(), 3);
    assert_true(c.recall(Proto::tcp, ep("127.0.0.1:5000"), ep("127.0.0.1:5000"), kT0).has_value());
}

void many_flows(void**) {
    ConversationCache c(120 * kSec);
    auto endpoint = [](int i) {
        Endpoint e = ep(i % 2 ? "10.0.0.1:1" : "[2001:db8::1]:1");
        e.port = std::uint16_t(1024 + i);
        return e;
    };
    const Endpoint server4 = ep("192.0.2.1:443"), server6 = ep("[2001:db8::2]:443");
    for (int i = 0; i < 20000; ++i) {
        const Endpoint& server = i % 2 ? server4 : server6;
        c.remember(Proto::tcp, endpoint(i), server, {How::exact, i + 1, i + 1}, kT0 + i);
        if (i % 3 == 0) c.remember(Proto::tcp, server, endpoint(i), {How::local, 1, 1}, kT0 + i);
    }
    for (int i = 0; i < 20000; ++i) {
        const Endpoint& server = i % 2 ? server4 : server6;
        auto o = c.recall(Proto::tcp, endpoint(i), server, kT0 + 20000);
        assert_true(o.has_value());
        assert_int_equal(o->process_id, i + 1);
        assert_int_equal(c.recall(Proto::tcp, server, endpoint(i), kT0 + 20000).has_value(), i % 3 == 0);
        assert_false(c.recall(Proto::udp, endpoint(i), server, kT0 + 20000).has_value());
    }
    assert_int_equal(c.size(), 20000 + 6667);
    c.clear();
    assert_int_equal(c.size(), 0);
    assert_false(c.recall(Proto::tcp, endpoint(1), server4, kT0).has_value());
}

// Hours of traffic: a new flow every 10 ms, each on a tuple of its own. The table holds
// the flows of the last few minutes, not every flow of the capture, and still knows them.
void idle_flows_leave(void**) {
    ConversationCache c(120 * kSec);
    std::size_t most = 0;
    auto client = [](int i) {
        std::string a = "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) + "." +
                        std::to_string(i % 256) + ":40000";
        return ep(a.c_str());
    };
    const int kFlows = 1'000'000;  // 10 000 s of traffic
    for (int i = 0; i < kFlows; ++i) {
        TimeNs at = kT0 + TimeNs(i) * 10 * kMs;
        c.remember(Proto::tcp, client(i), ep("192.0.2.10:443"), kCurl, at);
        most = std::max(most, c.flows());
        if (i % 1000 == 999 && i > 13000) {  // a flow a second old, and one idle for longer than allowed
            assert_true(c.recall(Proto::tcp, client(i - 100), ep("192.0.2.10:443"), at).has_value());
            assert_false(c.recall(Proto::tcp, client(i - 12001 - (i % 7)), ep("192.0.2.10:443"), at).has_value());
        }
    }
    // 240 s of flows (twice the idle time) is 24 000; between sweeps the table fills up
    // to half its slots, four times what the last sweep kept (rounded up to a power of
    // two): a bound set by the traffic of minutes, where the million flows would stay.
    assert_true(most <= 4 * 24'000);
    assert_true(c.size() <= 4 * 24'000);
    assert_true(c.recall(Proto::tcp, client(kFlows - 1), ep("192.0.2.10:443"), kT0 + TimeNs(kFlows) * 10 * kMs).has_value());
}


// The journal's answer for a flow's end: given back at times within its span while the
// stamp is the one it was stored with, and a socket found counts as the flow's owner.
void answers_hold_over_their_span(void**) {
    ConversationCache c(120 * kSec);
    const Endpoint client = ep("127.0.0.1:40000"), server = ep("127.0.0.1:8000");
    assert_null(c.answered(Proto::tcp, client, server, kT0, 1));
    c.remember_answer(Proto::tcp, client, server, kCurl, AnswerSpan{kT0 - kSec, kT0 + 10 * kSec}, 1, kT0);
    const SideOwner* o = c.answered(Proto::tcp, client, server, kT0 + 5 * kSec, 1);
    assert_non_null(o);
    assert_int_equal(o->process_id, 42);
    assert_int_equal(int(o->how), int(How::exact));
    assert_non_null(c.answered(Proto::tcp, client, server, kT0 - kSec, 1));
    assert_non_null(c.answered(Proto::tcp, client, server, kT0 + 10 * kSec, 1));
    // Outside the span, after the index changed, for the other end or protocol: ask the index.
    assert_null(c.answered(Proto::tcp, client, server, kT0 + 10 * kSec + 1, 1));
    assert_null(c.answered(Proto::tcp, client, server, kT0 - kSec - 1, 1));
    assert_null(c.answered(Proto::tcp, client, server, kT0, 2));
    assert_null(c.answered(Proto::tcp, server, client, kT0, 1));
    assert_null(c.answered(Proto::udp, client, server, kT0, 1));
    // The answer is the flow's owner, as remember() makes it, from its latest use.
    assert_int_equal(c.size(), 1);
    auto later = c.recall(Proto::tcp, client, server, kT0 + 10 * kSec + 100 * kSec);
    assert_true(later.has_value());
    assert_int_equal(int(later->how), int(How::conversation));
    // "No socket" is an answer too, and no owner.
    c.remember_answer(Proto::tcp, server, client, SideOwner{}, AnswerSpan{INT64_MIN, INT64_MAX}, 1, kT0);
    o = c.answered(Proto::tcp, server, client, kT0 + 50 * kSec, 1);
    assert_non_null(o);
    assert_false(o->known());
    assert_false(c.recall(Proto::tcp, server, client, kT0).has_value());
    assert_int_equal(c.size(), 1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(idle_flows_leave),
        cmocka_unit_test(recalls_by_direction_and_protocol),
        cmocka_unit_test(idle_flows_are_over),
        cmocka_unit_test(later_owner_replaces_earlier),
        cmocka_unit_test(both_ends_of_a_flow),
        cmocka_unit_test(many_flows),
        cmocka_unit_test(answers_hold_over_their_span),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
