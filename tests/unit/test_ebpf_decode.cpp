// Decoding kernel records and host checks: pure functions, no root, no kernel.
#include "ebpf_events.hpp"
#include "ebpf_prereqs.hpp"
#include "sockowner_abi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::ebpf;

namespace {

so_socket_event socket_event(int family, int protocol, int type) {
    so_socket_event e{};
    e.type = SO_EV_SOCKET;
    e.ts = 123;
    e.sk = 0xffff888100001000ull;
    e.cookie = 77;
    e.netns = 4026531840u;
    e.tuple.family = std::uint16_t(family);
    e.tuple.protocol = std::uint8_t(protocol);
    e.tuple.sock_type = std::uint8_t(type);
    e.tuple.lport = 5555;
    e.tuple.rport = 8000;
    e.owner.tgid = 4242;
    e.owner.tid = 4243;
    e.owner.ppid = 1;
    e.owner.uid = 1000;
    e.owner.gid = 100;
    e.owner.start_ns = 5'000'000'000ull;
    std::memcpy(e.owner.comm, "curl\0garbage", 12);
    return e;
}

void tcp_v4_event(void**) {
    auto e = socket_event(AF_INET, IPPROTO_TCP, SOCK_STREAM);
    e.tuple.laddr[0] = htonl(0x7f000001);
    e.tuple.raddr[0] = htonl(0x7f000002);
    e.since = 99;
    auto ev = decode_event(&e, sizeof e);
    assert_true(ev.has_value());
    auto* s = std::get_if<SocketEvent>(&*ev);
    assert_non_null(s);
    assert_false(s->accept);
    assert_false(s->inherited);
    assert_int_equal(s->sk, 0xffff888100001000ull);
    assert_int_equal(s->cookie, 77);
    assert_int_equal(s->since, 99);
    assert_int_equal(s->netns, 4026531840u);
    assert_int_equal(int(s->tuple.proto), int(Proto::tcp));
    assert_str_eq(format_endpoint(s->tuple.local), "127.0.0.1:5555");
    assert_str_eq(format_endpoint(s->tuple.remote), "127.0.0.2:8000");
    assert_int_equal(s->owner.tgid, 4242);
    assert_str_eq(s->owner.comm, "curl");  // up to the NUL
    assert_int_equal(s->owner.start_ns, 5'000'000'000ull);
}

void v4_mapped_on_v6_socket(void**) {
    auto e = socket_event(AF_INET6, IPPROTO_TCP, SOCK_STREAM);
    e.type = SO_EV_ACCEPT;
    std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    std::memcpy(e.tuple.laddr, mapped, 16);
    std::memcpy(e.tuple.raddr, mapped, 16);
    auto ev = decode_event(&e, sizeof e);
    auto* s = std::get_if<SocketEvent>(&*ev);
    assert_non_null(s);
    assert_true(s->accept);
    assert_int_equal(s->tuple.family, 6);  // the socket's family...
    assert_int_equal(s->tuple.local.addr.family(), 4);  // ...its addresses IPv4 on the wire
    assert_str_eq(format_endpoint(s->tuple.local), "127.0.0.1:5555");
}

void unconnected_udp_has_no_remote(void**) {
    auto e = socket_event(AF_INET6, IPPROTO_UDP, SOCK_DGRAM);
    e.flags = SO_F_INHERITED;
    e.tuple.rport = 0;
    e.tuple.raddr[0] = 0x12345678;  // stale peer bytes must not leak into the tuple
    auto ev = decode_event(&e, sizeof e);
    auto* s = std::get_if<SocketEvent>(&*ev);
    assert_non_null(s);
    assert_true(s->inherited);
    assert_true(s->tuple.remote.addr.is_unspecified());
    assert_int_equal(s->tuple.remote.addr.family(), 6);
    assert_int_equal(s->tuple.remote.port, 0);
}

void socket_kinds(void**) {
    assert_int_equal(int(*classify(IPPROTO_ICMP, SOCK_DGRAM)), int(Proto::icmp));
    assert_int_equal(int(*classify(IPPROTO_ICMPV6, SOCK_DGRAM)), int(Proto::icmpv6));
    assert_int_equal(int(*classify(IPPROTO_ICMP, SOCK_RAW)), int(Proto::raw));
    assert_int_equal(int(*classify(IPPROTO_UDPLITE, SOCK_DGRAM)), int(Proto::udp));
    assert_false(classify(IPPROTO_SCTP, SOCK_STREAM).has_value());
    auto e = socket_event(AF_INET, IPPROTO_SCTP, SOCK_STREAM);
    assert_false(decode_event(&e, sizeof e).has_value());  // not tracked
    auto bad = socket_event(AF_UNIX, IPPROTO_TCP, SOCK_STREAM);
    assert_false(decode_event(&bad, sizeof bad).has_value());
}

void short_and_unknown_records(void**) {
    auto e = socket_event(AF_INET, IPPROTO_TCP, SOCK_STREAM);
    assert_false(decode_event(&e, sizeof e - 1).has_value());
    assert_false(decode_event(&e, 2).has_value());
    e.type = 99;
    assert_false(decode_event(&e, sizeof e).has_value());
    so_close_event c{SO_EV_CLOSE, 0, 10, 0xabc, 77};
    auto ev = decode_event(&c, sizeof c);
    assert_int_equal(std::get<CloseEvent>(*ev).sk, 0xabc);
    assert_int_equal(std::get<CloseEvent>(*ev).cookie, 77);
}

void exec_event(void**) {
    auto x = std::make_unique<so_exec_event>();
    std::memset(x.get(), 0, sizeof *x);
    x->type = SO_EV_EXEC;
    x->owner.tgid = 7;
    std::strcpy(x->path, "/usr/bin/curl");
    x->path_len = 13;
    const char args[] = "curl\0-s\0http://x/\0";
    std::memcpy(x->args, args, sizeof args);
    x->args_len = sizeof args;
    auto ev = decode_event(x.get(), sizeof *x);
    auto& e = std::get<ExecEvent>(*ev);
    assert_str_eq(e.path, "/usr/bin/curl");
    assert_str_eq(e.cmdline, "curl -s http://x/");
    x->path_len = 60000;  // a length past the buffer is cut at the buffer
    ev = decode_event(x.get(), sizeof *x);
    assert_int_equal(std::get<ExecEvent>(*ev).path.size(), SO_PATH_LEN);
}

void iterator_records(void**) {
    so_iter_record r[3]{};
    r[0].sk = 1;
    r[0].inode = 555;
    r[0].tuple.family = AF_INET;
    r[0].tuple.protocol = IPPROTO_TCP;
    r[0].tuple.sock_type = SOCK_STREAM;
    r[0].tuple.lport = 80;
    r[1] = r[0];
    r[1].sk = 2;
    r[1].flags = SO_F_OWNED;
    r[1].owner.tgid = 99;
    r[2] = r[1];
    r[2].flags = SO_F_OWNED | SO_F_INHERITED;
    std::string bytes(reinterpret_cast<const char*>(r), sizeof r);
    bytes += "xx";  // a partial record at the end is ignored
    auto out = decode_iter_records(bytes);
    assert_int_equal(out.size(), 3);
    assert_false(out[0].owner.has_value());
    assert_int_equal(out[0].inode, 555);
    assert_int_equal(out[1].owner->tgid, 99);
    assert_false(out[1].inherited);
    assert_true(out[2].inherited);
}

void ticks(void**) {
    // /proc/PID/stat counts USER_HZ (100 on Linux) ticks: 10 ms each.
    assert_int_equal(ns_to_ticks(5'000'000'000ull), 500);
    assert_int_equal(ns_to_ticks(9'999'999ull), 0);
}

void capabilities(void**) {
    auto caps = parse_cap_eff("Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n");
    assert_int_equal(*caps, 0x1ffffffffffull);
    assert_str_eq(missing_capabilities(*caps), "");
    assert_str_eq(missing_capabilities(0), "missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN");
    std::uint64_t bpf_only = (1ull << 39) | (1ull << 38) | (1ull << 12);
    assert_str_eq(missing_capabilities(bpf_only), "");
    assert_str_eq(missing_capabilities(1ull << 39), "missing CAP_PERFMON, CAP_NET_ADMIN");
    assert_false(parse_cap_eff("Name:\tx\n").has_value());
}

void mounts(void**) {
    const char* m =
        "sysfs /sys sysfs rw 0 0\n"
        "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
        "bpf /my\\040pins bpf rw 0 0\n";
    assert_str_eq(*find_mount(m, "cgroup2"), "/sys/fs/cgroup/unified");
    assert_str_eq(*find_mount(m, "bpf"), "/my pins");
    assert_false(find_mount(m, "tracefs").has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(tcp_v4_event),         cmocka_unit_test(v4_mapped_on_v6_socket),
        cmocka_unit_test(unconnected_udp_has_no_remote), cmocka_unit_test(socket_kinds),
        cmocka_unit_test(short_and_unknown_records), cmocka_unit_test(exec_event),
        cmocka_unit_test(iterator_records),     cmocka_unit_test(ticks),
        cmocka_unit_test(capabilities),         cmocka_unit_test(mounts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
