// The comment `sockowner annotate` writes, and the comments the plugin reads back with
// no journal: sockowner's own (every fact, any bytes, back as they were) and ptcpdump's.
#include "owner_comment.hpp"
#include "test_helpers.hpp"

#include <vector>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

ProcessInfo full_process(int pid, const char* comm) {
    ProcessInfo p = process(pid, 100, comm);
    p.ppid = 4100;
    p.uid = 1000;
    p.user = "alice";
    p.exe = "/usr/bin/curl";
    p.cmdline = "curl http://127.0.0.1:8000/";
    p.container = "0123456789ab";
    p.cgroup = "/system.slice/docker-0123456789ab.scope";
    return p;
}

// What a comment keeps of a process: the facts the plugin shows.
void assert_same_facts(const ProcessInfo& a, const ProcessInfo& b) {
    assert_int_equal(a.pid, b.pid);
    assert_int_equal(a.ppid, b.ppid);
    assert_int_equal(a.uid, b.uid);
    assert_str_eq(a.comm, b.comm);
    assert_str_eq(a.exe, b.exe);
    assert_true(a.cmdline == b.cmdline);  // may hold NULs
    assert_str_eq(a.user, b.user);
    assert_str_eq(a.container, b.container);
    assert_str_eq(a.cgroup, b.cgroup);
}

void documented_form(void**) {
    CommentSide src{How::exact, "ebpf", full_process(4242, "curl")};
    CommentSide dst{How::wildcard, "procfs", full_process(17, "python3")};
    std::string c = format_owner_comment(src, dst);
    assert_true(c.starts_with("sockowner: curl 4242 \u2192 python3 17\nsrc.pid: 4242\nsrc.name: curl\n"
                              "src.cmdline: curl http://127.0.0.1:8000/\nsrc.exe: /usr/bin/curl\nsrc.ppid: 4100\n"
                              "src.uid: 1000\nsrc.user: alice\nsrc.container: 0123456789ab\n"
                              "src.cgroup: /system.slice/docker-0123456789ab.scope\nsrc.source: ebpf\nsrc.match: exact\n"
                              "dst.pid: 17\n"));
    assert_true(c.ends_with("dst.source: procfs\ndst.match: wildcard"));
    assert_str_eq(format_owner_comment(CommentSide{How::kernel, "", std::nullopt}, CommentSide{}),
                  "sockowner: kernel \u2192 ?\nsrc.name: [kernel]\nsrc.source: kernel\nsrc.match: kernel");
    assert_str_eq(format_owner_comment(CommentSide{}, CommentSide{}), "sockowner: ? \u2192 ?");
}

void round_trip(void**) {
    CommentSide src{How::conversation, "iterator", full_process(4242, "curl")};
    CommentSide dst{How::kernel, "kernel", std::nullopt};
    auto back = parse_owner_comment(format_owner_comment(src, dst));
    assert_true(back.has_value());
    assert_true(back->src.how == How::conversation);
    assert_str_eq(back->src.source, "iterator");
    assert_true(back->src.process.has_value());
    assert_same_facts(*back->src.process, *src.process);
    assert_true(back->dst.how == How::kernel);
    assert_false(back->dst.process.has_value());
    assert_false(back->either.has_value());

    auto none = parse_owner_comment("sockowner: ? \u2192 ?");
    assert_true(none.has_value());
    assert_true(none->src.how == How::unknown && none->dst.how == How::unknown);
    assert_false(parse_owner_comment("PID: 1\nCmd: /bin/sh").has_value());
    assert_false(parse_owner_comment("a comment an analyst wrote").has_value());
}

// A process names itself anything: no value can add a line, and all comes back.
void hostile_values(void**) {
    ProcessInfo p = full_process(666, "x\nsrc.pid: 1");
    p.cmdline = std::string("sh\0-c\0echo \x1b]0;pwned\x07\ndst.name: forged", 38);
    p.exe = "/tmp/evil\xe2\x80\xaetxt.exe\xff";
    p.user = "\\n";
    std::string c = format_owner_comment(CommentSide{How::exact, "ebpf", p}, CommentSide{});
    std::size_t lines = 0;
    for (char ch : c) {
        assert_true(static_cast<unsigned char>(ch) >= 0x20 || ch == '\n');
        lines += ch == '\n';
    }
    assert_int_equal(lines, 11);  // after the title, one line per fact: nothing forged
    auto back = parse_owner_comment(c);
    assert_true(back && back->src.process);
    assert_same_facts(*back->src.process, p);
    assert_true(back->dst.how == How::unknown);
}

void damaged_comments(void**) {
    // Unknown keys are skipped, bad numbers ignored, a process side without a pid is unknown.
    auto a = parse_owner_comment("sockowner: x\nsrc.pid: 12x\nsrc.name: a\nsrc.match: exact\nsrc.color: red\n"
                                 "dst.pid: 99999999999\ndst.match: nonsense\nno colon here\n: \nsrc.pid: 7");
    assert_true(a.has_value());
    assert_true(a->src.how == How::exact && a->src.process && a->src.process->pid == 7);
    assert_true(a->dst.how == How::unknown && !a->dst.process);
    auto b = parse_owner_comment("sockowner: x\nsrc.name: a\nsrc.match: exact");
    assert_true(b && b->src.how == How::unknown);
}

void ptcpdump(void**) {
    std::vector<std::string_view> comments{"PID: 4242\nCmd: /usr/bin/curl\nArgs: curl http://x/",
                                           "ThreadId: 4243\nThreadName: curl", "UserId: 1000\nGroupId: 100",
                                           "ParentPID: 99\nParentCmd: /bin/bash\nParentArgs: bash",
                                           "ContainerName: web\nContainerId: abc123\nContainerImage: x"};
    auto p = parse_ptcpdump_comments(comments);
    assert_true(p.has_value());
    assert_int_equal(p->pid, 4242);
    assert_str_eq(p->comm, "curl");
    assert_str_eq(p->exe, "/usr/bin/curl");
    assert_str_eq(p->cmdline, "curl http://x/");
    assert_int_equal(p->ppid, 99);  // not the parent's PID line mistaken for the process's
    assert_int_equal(p->uid, 1000);
    assert_int_equal(p->gid, 100);
    assert_str_eq(p->container, "abc123");
    std::vector<std::string_view> no_pid{"Cmd: /usr/bin/curl"};
    assert_false(parse_ptcpdump_comments(no_pid).has_value());

    // Which end: the sender of an outbound packet, the receiver of an inbound one.
    auto out = read_annotations(comments, Direction::outbound);
    assert_true(out && out->src.how == How::annotation && out->src.process->pid == 4242 && !out->either);
    assert_str_eq(out->src.source, "ptcpdump");
    auto in = read_annotations(comments, Direction::inbound);
    assert_true(in && in->dst.process && in->src.how == How::unknown);
    auto unknown = read_annotations(comments, Direction::unknown);
    assert_true(unknown && unknown->either && unknown->either->pid == 4242 && unknown->src.how == How::unknown);
    // sockowner's own comment wins over ptcpdump's.
    std::string own = format_owner_comment(CommentSide{How::exact, "ebpf", full_process(7, "nc")}, CommentSide{});
    std::vector<std::string_view> both{comments[0], own};
    auto mine = read_annotations(both, Direction::outbound);
    assert_true(mine && mine->src.process && mine->src.process->pid == 7 && mine->src.how == How::exact);
    std::vector<std::string_view> neither{"looked at this one", "TODO"};
    assert_false(read_annotations(neither, Direction::unknown).has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(documented_form), cmocka_unit_test(round_trip),   cmocka_unit_test(hostile_values),
        cmocka_unit_test(damaged_comments), cmocka_unit_test(ptcpdump),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
