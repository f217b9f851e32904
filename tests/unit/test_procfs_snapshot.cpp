// A whole procfs snapshot and the process cache over the fixture /proc tree.
#include "process_cache.hpp"
#include "procfs_snapshot.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;

namespace {

const procfs::Reader fixture(SOCKOWNER_FIXTURES "/proc");

const procfs::OwnedSocket* find(const procfs::Snapshot& s, std::uint64_t inode) {
    for (auto& o : s.sockets)
        if (o.inode == inode) return &o;
    return nullptr;
}

void sockets_are_joined_to_their_process(void**) {
    auto snap = procfs::take_snapshot(fixture);
    assert_int_equal(snap.pids.size(), 3);
    assert_int_equal(snap.namespaces, 1);
    // Every socket of the odd-named process, and only those, have an owner.
    for (std::uint64_t ino : {20030, 20031, 20032, 20034, 20035, 20036}) {
        auto* o = find(snap, ino);
        assert_non_null(o);
        assert_int_equal(o->pid, 8420);
        assert_false(o->shared);
        assert_int_equal(o->netns, 4026531833ull);
    }
    // 8421 holds 20033 too (twice: a dup()): the process that started last owns it.
    auto* shared = find(snap, 20033);
    assert_int_equal(shared->pid, 8421);
    assert_true(shared->shared);
    assert_int_equal(snap.sockets.size(), 7);
    assert_null(find(snap, 20037));  // bound, not listening nor connected: owns no packet
    assert_true(find(snap, 20030)->listening);
    assert_false(find(snap, 20033)->listening);
    auto* mapped = find(snap, 20034);
    assert_int_equal(mapped->family, 6);
    assert_int_equal(mapped->local.addr.family(), 4);
    assert_int_equal(int(find(snap, 20035)->proto), int(Proto::udp));
    assert_true(snap.unowned_sockets > 0);  // the rest of the host's sockets at capture time
}

void partial_snapshot_joins_only_unknown_sockets(void**) {
    auto none = procfs::take_snapshot_of(fixture, {Proto::icmp, Proto::icmpv6, Proto::raw},
                                         [](const procfs::OwnedSocket&) { return false; });
    assert_int_equal(none.sockets.size(), 0);  // the fixture has none
    assert_int_equal(none.pids.size(), 3);

    auto udp = procfs::take_snapshot_of(fixture, {Proto::udp},
                                        [](const procfs::OwnedSocket& o) { return o.inode == 20035; });
    auto* known = find(udp, 20035);
    assert_non_null(known);
    assert_int_equal(known->pid, 0);  // not joined: the caller has it
    for (auto& o : udp.sockets) assert_int_equal(int(o.proto), int(Proto::udp));
    bool other = false;
    for (auto& o : udp.sockets)
        if (o.inode != 20035 && o.pid == 8420) other = true;
    assert_true(other);  // the odd-named process's other UDP socket, joined
}

void process_details(void**) {
    ProcessCache cache(fixture, 1'000'000'000'000'000'000, true);
    auto p = cache.get(8420);
    assert_true(p.has_value());
    assert_str_eq(p->comm, "odd )name) x");
    assert_int_equal(p->start_ticks, 89205);
    assert_int_equal(p->start_time, 1'000'000'000'000'000'000 + 892'050'000'000);
    assert_str_eq(p->user, "root");
    assert_int_equal(p->ppid, 8379);
    assert_str_eq(p->cgroup, "/");
    assert_str_eq(p->container, "");

    auto d = cache.get(8421);
    assert_true(d.has_value());
    assert_str_eq(d->exe, "/tmp/fixture-deleted-sleep (deleted)");
    assert_str_eq(d->cmdline, "/tmp/fixture-deleted-sleep 30");

    auto k = cache.get(2);
    assert_true(k.has_value());
    assert_str_eq(k->comm, "kthreadd");
    assert_str_eq(k->exe, "");
    assert_str_eq(k->cmdline, "");

    assert_false(cache.get(999999).has_value());
    cache.get(8420);
    assert_int_equal(cache.stats().hits, 1);
    assert_int_equal(cache.stats().misses, 3);
    assert_int_equal(cache.stats().failures, 1);
    // Identified by pid and start: another start time is another process.
    assert_false(cache.get(ProcessKey{8420, 1}).has_value());
    assert_true(cache.get(ProcessKey{8420, 89205}).has_value());
}

void no_cmdline_for_privacy(void**) {
    ProcessCache cache(fixture, 0, false);
    auto p = cache.get(8420);
    assert_true(p.has_value());
    assert_str_eq(p->cmdline, "");
}

void sweep_reports_exits(void**) {
    ProcessCache cache(fixture, 0, true);
    cache.get(8420);
    cache.get(8421);
    auto gone = cache.sweep({8420});
    assert_int_equal(gone.size(), 1);
    assert_int_equal(gone[0].pid, 8421);
    assert_int_equal(gone[0].start_ticks, 89206);
    assert_int_equal(cache.size(), 1);
}

// A kernel event carries the ids and the cgroup id: the cache then reads neither
// /proc/PID/status nor /proc/PID/cgroup, and reads them when a later caller needs them.
void reads_only_what_is_needed(void**) {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("so-proc-" + std::to_string(getpid()));
    fs::create_directories(root / "77");
    auto put = [&](const char* name, const std::string& text) { std::ofstream(root / "77" / name) << text; };
    put("stat", "77 (srv) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0");
    put("status", "Name:\tsrv\nTgid:\t77\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n");
    put("cgroup", "0::/system.slice/docker-" + std::string(64, 'a') + ".scope\n");
    put("cmdline", std::string("srv\0--port\0", 11));
    fs::create_symlink("/usr/bin/srv", root / "77" / "exe");
    const procfs::Reader proc(root.string());
    ProcessCache cache(proc, 0, true);

    auto image = cache.get(77, {.ids = false, .cgroup = false});
    assert_true(image.has_value());
    assert_str_eq(image->exe, "/usr/bin/srv");
    assert_str_eq(image->cmdline, "srv --port");
    assert_int_equal(image->uid, 0);   // not read
    assert_str_eq(image->cgroup, "");  // not read
    auto full = cache.get(77);         // the same process: what was left out is read now
    assert_true(full.has_value());
    assert_int_equal(full->uid, 1000);
    assert_int_equal(full->gid, 100);
    assert_str_eq(full->container, std::string(64, 'a').c_str());
    assert_int_equal(cache.stats().misses, 1);
    assert_int_equal(cache.stats().hits, 1);

    // Without a /proc read: cached() until the exit of that very process forgets it.
    assert_non_null(cache.cached(77));
    cache.forget(ProcessKey{77, 4999});  // another process that had the pid
    assert_non_null(cache.cached(77));
    cache.forget(ProcessKey{77, 5000});
    assert_null(cache.cached(77));
    fs::remove_all(root);
}

// read_record() stops at a short read: the whole of a file however long, from the
// kernel (a command line of 40 000 bytes, two and a half buffers) and from a plain file.
void record_reads_are_whole(void**) {
    std::string arg(40000, 'x');
    pid_t child = fork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", "sleep 30", arg.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    assert_true(child > 0);
    const procfs::Reader proc;
    std::string rel = std::to_string(child) + "/cmdline";
    std::optional<std::string> whole;
    for (int i = 0; i < 200; ++i) {  // until the exec is done
        whole = proc.read(rel);
        if (whole && whole->size() > arg.size()) break;
        usleep(10000);
    }
    auto record = proc.read_record(rel);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    assert_true(whole && record);
    assert_true(whole->size() > arg.size());
    assert_true(*record == *whole);

    char tmpl[] = "/tmp/sockowner-procfs-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    std::string big(3 * 16384 + 7, 'y');
    std::ofstream(std::string(tmpl) + "/big") << big;
    std::ofstream(std::string(tmpl) + "/small") << "1 (x) S";
    const procfs::Reader fake(tmpl);
    assert_true(fake.read_record("big") == big);
    assert_true(fake.read_record("small") == std::string("1 (x) S"));
    assert_false(fake.read_record("missing").has_value());
    std::filesystem::remove_all(tmpl);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(sockets_are_joined_to_their_process),
        cmocka_unit_test(partial_snapshot_joins_only_unknown_sockets),
        cmocka_unit_test(process_details),
        cmocka_unit_test(no_cmdline_for_privacy),
        cmocka_unit_test(sweep_reports_exits),
        cmocka_unit_test(reads_only_what_is_needed),
        cmocka_unit_test(record_reads_are_whole),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
