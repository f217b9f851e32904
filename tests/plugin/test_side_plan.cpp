// The per-side rules: which socket each end of a packet is looked up as, and when a
// side is the kernel's.
#include "side_plan.hpp"
#include "test_helpers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

using Rule = SidePlan::Rule;

Transport transport(Proto p, const char* src, const char* dst) {
    Transport t;
    t.proto = p;
    t.src = ep(src);
    t.dst = ep(dst);
    return t;
}

Transport echo(Proto p, IcmpKind kind, const char* src, const char* dst, std::uint16_t id) {
    Transport t = transport(p, src, dst);
    t.icmp = kind;
    t.echo_id = id;
    return t;
}

void check(const SidePlan& s, Rule rule, const char* local, const char* remote) {
    assert_int_equal(int(s.rule), int(rule));
    assert_str_eq(format_endpoint(s.query.local), local);
    if (rule == Rule::lookup) assert_str_eq(format_endpoint(s.query.remote), remote);
    assert_int_equal(s.query.at, kT0);
}

void tcp_each_side_is_its_own_local_end(void**) {
    auto t = transport(Proto::tcp, "127.0.0.1:40000", "127.0.0.1:8000");
    t.tcp_flags = kTcpAck;
    auto plan = plan_sides({t, std::nullopt}, kT0);
    check(plan.src, Rule::lookup, "127.0.0.1:40000", "127.0.0.1:8000");
    check(plan.dst, Rule::lookup, "127.0.0.1:8000", "127.0.0.1:40000");
    assert_int_equal(int(plan.src.query.proto), int(Proto::tcp));
    assert_false(plan.src.kernel_if_unowned);
    assert_false(plan.src.opens_flow);
}

void rst_may_be_the_kernels(void**) {
    auto t = transport(Proto::tcp, "127.0.0.1:9", "127.0.0.1:40010");
    t.tcp_flags = kTcpRst | kTcpAck;
    auto plan = plan_sides({t, std::nullopt}, kT0);
    assert_true(plan.src.kernel_if_unowned);   // the sender of an RST with no socket: the kernel
    assert_false(plan.dst.kernel_if_unowned);  // the receiver is whoever owns the client socket
    // UDP has no RST.
    auto u = transport(Proto::udp, "127.0.0.1:9", "127.0.0.1:40010");
    u.tcp_flags = kTcpRst;
    assert_false(plan_sides({u, std::nullopt}, kT0).src.kernel_if_unowned);
}

void syn_opens_a_flow_syn_ack_does_not(void**) {
    auto t = transport(Proto::tcp, "10.0.0.1:40001", "192.0.2.10:80");
    t.tcp_flags = kTcpSyn;
    auto plan = plan_sides({t, std::nullopt}, kT0);
    assert_true(plan.src.opens_flow && plan.dst.opens_flow);
    assert_true(plan.dst.to_listener && !plan.src.to_listener);  // a SYN goes to a listener
    t.tcp_flags = kTcpSyn | kTcpAck;
    plan = plan_sides({t, std::nullopt}, kT0);
    assert_false(plan.src.opens_flow || plan.dst.opens_flow);
    assert_false(plan.dst.to_listener);
    // The SYN-ACK's sender is the kernel (no process has accepted yet); its receiver
    // is whoever owns the connecting socket.
    check(plan.src, Rule::kernel, "10.0.0.1:0", "");
    check(plan.dst, Rule::lookup, "192.0.2.10:80", "10.0.0.1:40001");
}

void echo_request_and_reply(void**) {
    // The request's sender owns a ping socket whose port is the identifier; the kernel answers.
    auto plan = plan_sides({echo(Proto::icmp, IcmpKind::echo_request, "10.0.0.1:0", "192.0.2.10:0", 0x1234)}, kT0);
    check(plan.src, Rule::lookup, "10.0.0.1:4660", "192.0.2.10:0");
    assert_int_equal(int(plan.src.query.proto), int(Proto::icmp));
    check(plan.dst, Rule::kernel, "192.0.2.10:0", "");
    // The reply: the kernel sent it, the ping socket takes it.
    plan = plan_sides({echo(Proto::icmpv6, IcmpKind::echo_reply, "[::1]:0", "[::2]:0", 0x3333)}, kT0);
    check(plan.src, Rule::kernel, "[::1]:0", "");
    check(plan.dst, Rule::lookup, "[::2]:13107", "[::1]:0");
    assert_int_equal(int(plan.dst.query.proto), int(Proto::icmpv6));
}

void icmp_error_is_for_the_quoted_sender(void**) {
    Transport err = transport(Proto::icmp, "192.0.2.10:0", "10.0.0.1:0");
    err.icmp = IcmpKind::error;
    Transport quoted = transport(Proto::udp, "10.0.0.1:45001", "192.0.2.10:33434");
    auto plan = plan_sides({err, quoted}, kT0);
    check(plan.src, Rule::kernel, "192.0.2.10:0", "");
    check(plan.dst, Rule::lookup, "10.0.0.1:45001", "192.0.2.10:33434");
    assert_int_equal(int(plan.dst.query.proto), int(Proto::udp));
    assert_false(plan.dst.kernel_if_unowned);

    // About an echo request: the pinging socket; about an echo reply: that host's kernel.
    plan = plan_sides({err, echo(Proto::icmp, IcmpKind::echo_request, "10.0.0.1:0", "192.0.2.99:0", 7)}, kT0);
    check(plan.dst, Rule::lookup, "10.0.0.1:7", "192.0.2.99:0");
    plan = plan_sides({err, echo(Proto::icmp, IcmpKind::echo_reply, "10.0.0.1:0", "192.0.2.99:0", 7)}, kT0);
    check(plan.dst, Rule::kernel, "10.0.0.1:0", "");
    // Nothing quoted (cut short): only the sender is known.
    plan = plan_sides({err, std::nullopt}, kT0);
    assert_int_equal(int(plan.src.rule), int(Rule::kernel));
    assert_int_equal(int(plan.dst.rule), int(Rule::none));
}

void other_icmp_is_not_attributed(void**) {
    Transport ra = transport(Proto::icmpv6, "[fe80::1]:0", "[ff02::1]:0");
    ra.icmp = IcmpKind::other;
    auto plan = plan_sides({ra, std::nullopt}, kT0);
    assert_int_equal(int(plan.src.rule), int(Rule::none));
    assert_int_equal(int(plan.dst.rule), int(Rule::none));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(tcp_each_side_is_its_own_local_end),
        cmocka_unit_test(rst_may_be_the_kernels),
        cmocka_unit_test(syn_opens_a_flow_syn_ack_does_not),
        cmocka_unit_test(echo_request_and_reply),
        cmocka_unit_test(icmp_error_is_for_the_quoted_sender),
        cmocka_unit_test(other_icmp_is_not_attributed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
