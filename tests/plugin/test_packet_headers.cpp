// Locating the packet's own headers in a frame from the addresses packet_info holds.
#include "frames.hpp"
#include "packet_headers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

PinfoTuple pinfo(const char* src, const char* dst, std::optional<Proto> ported = std::nullopt,
                 std::uint16_t sport = 0, std::uint16_t dport = 0) {
    return {*IpAddr::parse(src), *IpAddr::parse(dst), ported, sport, dport};
}

std::optional<PacketTuple> locate(const Frame& f, const PinfoTuple& p) { return packet_tuple({f.data(), f.size()}, p); }

void tcp_ports_and_flags(void**) {
    auto f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 6, tcp_header(40000, 80, kTcpRst | kTcpAck)));
    auto t = locate(f, pinfo("10.0.0.1", "10.0.0.2", Proto::tcp, 40000, 80));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::tcp));
    assert_str_eq(format_endpoint(t->own.src), "10.0.0.1:40000");
    assert_str_eq(format_endpoint(t->own.dst), "10.0.0.2:80");
    assert_int_equal(t->own.tcp_flags, kTcpRst | kTcpAck);
    assert_false(t->quoted.has_value());
}

void ipv4_options_are_skipped(void**) {
    auto f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, udp_header(53, 5353), 0, 2));
    auto t = locate(f, pinfo("10.0.0.1", "10.0.0.2", Proto::udp, 53, 5353));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::udp));
    assert_int_equal(t->own.dst.port, 5353);
}

void ipv6_extension_headers_are_walked(void**) {
    auto f = ethernet(ipv6("2001:db8::1", "2001:db8::2", 17, udp_header(5000, 53), true));
    auto t = locate(f, pinfo("2001:db8::1", "2001:db8::2", Proto::udp, 5000, 53));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::udp));
    assert_str_eq(format_endpoint(t->own.src), "[2001:db8::1]:5000");
}

void icmp_echo_identifier(void**) {
    auto f = ethernet(ipv4("127.0.0.1", "127.0.0.1", 1, icmp_header(8, 0, 0x1234)));
    auto t = locate(f, pinfo("127.0.0.1", "127.0.0.1"));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::icmp));
    assert_int_equal(int(t->own.icmp), int(IcmpKind::echo_request));
    assert_int_equal(t->own.echo_id, 0x1234);

    f = ethernet(ipv6("::1", "::1", 58, icmp_header(129, 0, 0x3333)));
    t = locate(f, pinfo("::1", "::1"));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::icmpv6));
    assert_int_equal(int(t->own.icmp), int(IcmpKind::echo_reply));
    assert_int_equal(t->own.echo_id, 0x3333);

    // Router advertisement: neither echo nor error.
    f = ethernet(ipv6("fe80::1", "ff02::1", 58, icmp_header(134, 0, 0)));
    t = locate(f, pinfo("fe80::1", "ff02::1"));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.icmp), int(IcmpKind::other));
}

void icmp_error_quotes_the_offending_header(void**) {
    // Only the IP header and 8 bytes of the UDP header are quoted.
    auto probe = ipv4("10.0.0.1", "192.0.2.10", 17, udp_header(45001, 33434));
    auto f = ethernet(ipv4("192.0.2.10", "10.0.0.1", 1, icmp_header(3, 3, 0, probe)));
    // packet_info: the ICMP packet's addresses, the quoted packet's ports.
    auto t = locate(f, pinfo("192.0.2.10", "10.0.0.1", Proto::udp, 45001, 33434));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::icmp));
    assert_int_equal(int(t->own.icmp), int(IcmpKind::error));
    assert_true(t->quoted.has_value());
    assert_int_equal(int(t->quoted->proto), int(Proto::udp));
    assert_str_eq(format_endpoint(t->quoted->src), "10.0.0.1:45001");
    assert_str_eq(format_endpoint(t->quoted->dst), "192.0.2.10:33434");

    // Loopback: the quoted header has the same addresses as the ICMP packet.
    auto lo_probe = ipv4("127.0.0.1", "127.0.0.1", 17, udp_header(45002, 7));
    f = ethernet(ipv4("127.0.0.1", "127.0.0.1", 1, icmp_header(3, 3, 0, lo_probe)));
    t = locate(f, pinfo("127.0.0.1", "127.0.0.1", Proto::udp, 45002, 7));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.icmp), int(IcmpKind::error));
    assert_str_eq(format_endpoint(t->quoted->src), "127.0.0.1:45002");

    // ICMPv6 time exceeded quoting an echo request: the quote carries the identifier.
    auto ping = ipv6("2001:db8::1", "2001:db8::99", 58, icmp_header(128, 0, 0x4242));
    f = ethernet(ipv6("2001:db8::fe", "2001:db8::1", 58, icmp_header(3, 0, 0, ping)));
    t = locate(f, pinfo("2001:db8::fe", "2001:db8::1"));
    assert_true(t.has_value() && t->quoted.has_value());
    assert_int_equal(int(t->quoted->icmp), int(IcmpKind::echo_request));
    assert_int_equal(t->quoted->echo_id, 0x4242);
}

void tunnel_uses_the_inner_header(void**) {
    auto inner = ipv4("172.16.0.1", "172.16.0.2", 6, tcp_header(41000, 22, kTcpSyn));
    auto f = ethernet(ipv4("10.0.0.1", "192.0.2.77", 4, inner));
    auto t = locate(f, pinfo("172.16.0.1", "172.16.0.2", Proto::tcp, 41000, 22));
    assert_true(t.has_value());
    assert_str_eq(format_endpoint(t->own.src), "172.16.0.1:41000");
    assert_int_equal(t->own.tcp_flags, kTcpSyn);

    // Inner and outer headers with the same addresses: the IP-in-IP one is skipped.
    inner = ipv4("10.0.0.1", "10.0.0.2", 17, udp_header(1111, 2222));
    f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 4, inner));
    t = locate(f, pinfo("10.0.0.1", "10.0.0.2", Proto::udp, 1111, 2222));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::udp));
    assert_int_equal(t->own.src.port, 1111);
}

void later_fragment_falls_back_to_pinfo(void**) {
    Frame payload(40, 0xAB);
    auto f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, payload, 185));
    auto t = locate(f, pinfo("10.0.0.1", "10.0.0.2", Proto::udp, 4000, 5000));
    assert_true(t.has_value());
    assert_int_equal(int(t->own.proto), int(Proto::udp));
    assert_int_equal(t->own.src.port, 4000);
    assert_int_equal(t->own.dst.port, 5000);
    assert_int_equal(t->own.tcp_flags, 0);
    // Without ports from packet_info there is nothing to attribute.
    assert_false(locate(f, pinfo("10.0.0.1", "10.0.0.2")).has_value());
}

void no_header_with_those_addresses(void**) {
    auto f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 6, tcp_header(1, 2, kTcpSyn)));
    assert_false(locate(f, pinfo("10.9.9.9", "10.0.0.2")).has_value());
    assert_false(locate(f, pinfo("::1", "::1")).has_value());
    assert_false(locate({}, pinfo("10.0.0.1", "10.0.0.2")).has_value());
    // A transport the plugin does not attribute (GRE) with no ports from packet_info.
    f = ethernet(ipv4("10.0.0.1", "10.0.0.2", 47, Frame(8, 0)));
    assert_false(locate(f, pinfo("10.0.0.1", "10.0.0.2")).has_value());
}

void truncated_frames_never_read_past_the_end(void**) {
    // Every prefix of every kind of frame: an answer or nothing, never a read past the end
    // (run under a sanitizer or valgrind to see one).
    auto probe = ipv4("10.0.0.1", "192.0.2.10", 17, udp_header(45001, 33434));
    const Frame frames[] = {
        ethernet(ipv4("10.0.0.1", "10.0.0.2", 6, tcp_header(40000, 80, kTcpSyn))),
        ethernet(ipv6("2001:db8::1", "2001:db8::2", 17, udp_header(5000, 53), true)),
        ethernet(ipv4("192.0.2.10", "10.0.0.1", 1, icmp_header(3, 3, 0, probe))),
    };
    const PinfoTuple infos[] = {pinfo("10.0.0.1", "10.0.0.2"), pinfo("2001:db8::1", "2001:db8::2"),
                                pinfo("192.0.2.10", "10.0.0.1")};
    for (int i = 0; i < 3; ++i) {
        const Frame& full = frames[i];
        for (std::size_t n = 0; n <= full.size(); ++n) {
            Frame cut(full.begin(), full.begin() + long(n));
            auto t = locate(cut, infos[i]);
            if (n == full.size()) assert_true(t.has_value());
        }
    }
    // A quote cut inside the IP header: the error is still an error, without a quote.
    Frame cut = ethernet(ipv4("192.0.2.10", "10.0.0.1", 1, icmp_header(3, 3, 0, Frame(probe.begin(), probe.begin() + 10))));
    auto t = locate(cut, infos[2]);
    assert_true(t.has_value());
    assert_int_equal(int(t->own.icmp), int(IcmpKind::error));
    assert_false(t->quoted.has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(tcp_ports_and_flags),
        cmocka_unit_test(ipv4_options_are_skipped),
        cmocka_unit_test(ipv6_extension_headers_are_walked),
        cmocka_unit_test(icmp_echo_identifier),
        cmocka_unit_test(icmp_error_quotes_the_offending_header),
        cmocka_unit_test(tunnel_uses_the_inner_header),
        cmocka_unit_test(later_fragment_falls_back_to_pinfo),
        cmocka_unit_test(no_header_with_those_addresses),
        cmocka_unit_test(truncated_frames_never_read_past_the_end),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
