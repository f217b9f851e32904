// procfs parsers against files copied from a real /proc (tests/fixtures/proc, made by
// tests/fixtures/make_fixture_procs.py) and against hand-written edge cases.
#include "procfs_parse.hpp"
#include "procfs_reader.hpp"

#include <algorithm>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::procfs;

namespace {

const Reader fixture(SOCKOWNER_FIXTURES "/proc");

std::string read_fixture(const std::string& rel) {
    auto text = fixture.read(rel);
    assert_true(text.has_value());
    return *text;
}

const NetEntry* by_inode(const std::vector<NetEntry>& v, std::uint64_t inode) {
    for (auto& e : v)
        if (e.inode == inode) return &e;
    return nullptr;
}

void tcp_v4_listener_and_connection(void**) {
    std::size_t bad = 99;
    auto rows = parse_net(read_fixture("net/tcp"), &bad);
    assert_int_equal(bad, 0);
    auto* l = by_inode(rows, 20030);
    assert_non_null(l);
    assert_str_eq(format_endpoint(l->local), "127.0.0.1:47001");
    assert_true(l->remote.addr.is_unspecified());
    assert_int_equal(l->state, kTcpListen);
    auto* c = by_inode(rows, 20033);
    assert_non_null(c);
    assert_str_eq(format_endpoint(c->remote), "127.0.0.1:47003");
    assert_int_equal(c->state, 1);
}

void tcp_v6_and_v4_mapped(void**) {
    auto rows = parse_net(read_fixture("net/tcp6"));
    auto* l6 = by_inode(rows, 20031);
    assert_non_null(l6);
    assert_str_eq(format_endpoint(l6->local), "[::1]:47002");
    auto* dual = by_inode(rows, 20032);
    assert_non_null(dual);
    assert_str_eq(format_endpoint(dual->local), "[::]:47003");
    // An IPv4 client accepted on an AF_INET6 socket: ::ffff:127.0.0.1 is IPv4 on the wire.
    auto* mapped = by_inode(rows, 20034);
    assert_non_null(mapped);
    assert_int_equal(mapped->local.addr.family(), 4);
    assert_str_eq(format_endpoint(mapped->local), "127.0.0.1:47003");
    assert_str_eq(format_endpoint(mapped->remote), "127.0.0.1:" + std::to_string(0x8CE0));
}

void udp_v4_and_v6(void**) {
    auto u4 = parse_net(read_fixture("net/udp"));
    auto* a = by_inode(u4, 20035);
    assert_non_null(a);
    assert_str_eq(format_endpoint(a->local), "0.0.0.0:47004");
    auto u6 = parse_net(read_fixture("net/udp6"));
    auto* b = by_inode(u6, 20036);
    assert_non_null(b);
    assert_str_eq(format_endpoint(b->local), "[::1]:47005");
    assert_str_eq(format_endpoint(b->remote), "[::1]:47002");
}

void every_fixture_table_parses(void**) {
    for (const NetFile& f : kNetFiles) {
        std::size_t bad = 99;
        parse_net(read_fixture(std::string("net/") + f.name), &bad);
        assert_int_equal(bad, 0);
    }
}

void malformed_lines_are_skipped(void**) {
    std::size_t bad = 0;
    auto rows = parse_net(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123 1\n"
        "   1: garbage\n"
        "   2: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 124 1\n"
        "\n"
        "   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 125 1",
        &bad);
    assert_int_equal(rows.size(), 2);
    assert_int_equal(bad, 2);
    assert_int_equal(rows[1].uid, 1000);
    assert_int_equal(rows[1].local.port, 8081);
    assert_true(parse_net("").empty());
    assert_true(parse_net("header only\n").empty());
}

void stat_with_spaces_and_parens_in_comm(void**) {
    auto s = parse_stat(read_fixture("8420/stat"));
    assert_true(s.has_value());
    assert_int_equal(s->pid, 8420);
    assert_str_eq(s->comm, "odd )name) x");
    assert_int_equal(s->ppid, 8379);
    assert_int_equal(s->start_ticks, 89205);
    assert_int_equal(s->state, 'S');
}

void stat_kernel_thread(void**) {
    auto s = parse_stat(read_fixture("2/stat"));
    assert_true(s.has_value());
    assert_str_eq(s->comm, "kthreadd");
    assert_int_equal(s->ppid, 0);
    assert_int_equal(s->start_ticks, 22);
    assert_str_eq(parse_cmdline(read_fixture("2/cmdline")), "");
    assert_false(fixture.readlink("2/exe").has_value());
}

void stat_rejects_garbage(void**) {
    assert_false(parse_stat("").has_value());
    assert_false(parse_stat("12 (x").has_value());
    assert_false(parse_stat("12 (x) S 1").has_value());  // truncated before starttime
    assert_false(parse_stat("abc (x) S 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 5").has_value());
}

void status_effective_ids(void**) {
    auto st = parse_status(read_fixture("8420/status"));
    assert_true(st.has_value());
    assert_int_equal(st->tgid, 8420);
    auto mixed = parse_status("Name:\tx\nTgid:\t7\nUid:\t1000\t0\t0\t0\nGid:\t100\t50\t50\t50\n");
    assert_true(mixed.has_value());
    assert_int_equal(mixed->uid, 0);  // effective, as ps shows
    assert_int_equal(mixed->gid, 50);
    assert_false(parse_status("Name:\tx\n").has_value());
}

void cmdline_and_deleted_exe(void**) {
    assert_str_eq(parse_cmdline(read_fixture("8420/cmdline")),
                  "/root/.pyenv/versions/3.11.7/bin/python3 make_fixture_procs.py");
    assert_str_eq(parse_cmdline(std::string("a\0b c\0\0", 7)), "a b c");
    auto exe = fixture.readlink("8421/exe");
    assert_true(exe.has_value());
    assert_str_eq(*exe, "/tmp/fixture-deleted-sleep (deleted)");
}

void cgroup_paths(void**) {
    assert_str_eq(parse_cgroup(read_fixture("8420/cgroup")), "/");
    assert_str_eq(parse_cgroup("0::/system.slice/nginx.service\n"), "/system.slice/nginx.service");
    assert_str_eq(parse_cgroup("1:name=systemd:/user.slice/x.scope\n0::/\n"), "/user.slice/x.scope");
    assert_str_eq(parse_cgroup(""), "");
}

void container_ids(void**) {
    const std::string id(64, 'a');
    const std::string id2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_str_eq(container_id("/system.slice/docker-" + id + ".scope"), id);
    assert_str_eq(container_id("/docker/" + id), id);
    assert_str_eq(container_id("/system.slice/containerd.service/kubepods-besteffort-pod1.slice:cri-containerd:" + id),
                  "");  // not a path component of its own
    assert_str_eq(container_id("/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id2 + ".scope"), id2);
    assert_str_eq(container_id("/kubepods/burstable/pod123/" + id2), id2);
    assert_str_eq(container_id("/machine.slice/libpod-" + id + ".scope/container"), id);
    assert_str_eq(container_id("/system.slice/crio-" + id2 + ".scope"), id2);
    assert_str_eq(container_id("/user.slice/user-0.slice/session-1.scope"), "");
    // A user's delegated subtree may name a scope like docker's: not a container.
    assert_str_eq(container_id("/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" + id + ".scope"), "");
    assert_str_eq(container_id("/user.slice/user-1000.slice/user@1000.service/docker/" + id), "");
    assert_str_eq(container_id("/"), "");
}

void inode_links(void**) {
    assert_int_equal(parse_inode_link("socket:[20030]", "socket").value(), 20030);
    assert_int_equal(parse_inode_link("net:[4026531840]", "net").value(), 4026531840ull);
    assert_false(parse_inode_link("pipe:[1]", "socket").has_value());
    assert_false(parse_inode_link("socket:[]", "socket").has_value());
    assert_false(parse_inode_link("socket:[12", "socket").has_value());
    assert_false(parse_inode_link("/dev/null", "socket").has_value());
}

void hidepid(void**) {
    const char* plain = "sysfs /sys sysfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n";
    assert_false(proc_hides_other_users(plain, "/proc"));
    const char* hidden = "proc /proc proc rw,relatime,hidepid=invisible 0 0\n";
    assert_true(proc_hides_other_users(hidden, "/proc"));
    assert_true(proc_hides_other_users("proc /proc proc rw,hidepid=2 0 0\n", "/proc"));
    assert_false(proc_hides_other_users("proc /proc proc rw,hidepid=0 0 0\n", "/proc"));
    assert_false(proc_hides_other_users(hidden, "/other"));
    // Remounted without it: the last line counts.
    assert_false(proc_hides_other_users("proc /proc proc rw,hidepid=2 0 0\nproc /proc proc rw 0 0\n", "/proc"));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(tcp_v4_listener_and_connection),
        cmocka_unit_test(tcp_v6_and_v4_mapped),
        cmocka_unit_test(udp_v4_and_v6),
        cmocka_unit_test(every_fixture_table_parses),
        cmocka_unit_test(malformed_lines_are_skipped),
        cmocka_unit_test(stat_with_spaces_and_parens_in_comm),
        cmocka_unit_test(stat_kernel_thread),
        cmocka_unit_test(stat_rejects_garbage),
        cmocka_unit_test(status_effective_ids),
        cmocka_unit_test(cmdline_and_deleted_exe),
        cmocka_unit_test(cgroup_paths),
        cmocka_unit_test(container_ids),
        cmocka_unit_test(hidepid),
        cmocka_unit_test(inode_links),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
