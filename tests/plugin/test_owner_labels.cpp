// The labels shown for an owner: rendered once per process, and again when the
// journal's process rows change (an exec renames a process) or the journal is another.
#include "owner_labels.hpp"
#include "fake_clock.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include <filesystem>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

// A journal in `dir` with one TCP socket, 10.0.0.1:5555 → 10.0.0.2:80, of process
// `pid` named `comm`.
std::string one_socket_journal(const ScratchDir& dir, const char* name, const char* comm, int pid) {
    auto path = dir.file(name);
    JournalWriter w(path);
    w.begin_run("procfs", "test", kT0);
    w.open_socket(sock(Proto::tcp, "10.0.0.1:5555", "10.0.0.2:80", kT0), process(pid, 100, comm));
    w.flush();
    return path;
}

// A follower of the journal at `path`, read once, and the labels of its owners.
struct Followed {
    FakeClock clk;
    JournalFollower f;
    OwnerLabelCache cache;
    explicit Followed(const std::string& path) : f(path, clk.clock()), cache(f) { f.refresh(100 * kMs); }
};

std::int64_t process_id_of(JournalFollower& f, const char* local, const char* remote) {
    f.cover(kT0, kT0 + kSec);
    auto m = f.index().find(OwnerQuery{Proto::tcp, ep(local), ep(remote), kT0 + kSec}, MatchOptions{});
    assert_true(m.has_value());
    return m->socket->process_id;
}

void process_kernel_and_unknown(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "curl", 4242);
    Followed followed(path);
    auto& [clk, f, cache] = followed;

    SideOwner curl{How::exact, 1, process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80")};
    const OwnerLabels& l = cache.get(curl);
    assert_non_null(l.row);
    assert_int_equal(l.row->p.pid, 4242);
    assert_str_eq(l.name, "curl");
    assert_str_eq(l.info, "curl 4242");
    assert_str_eq(l.title_for(End::src), "Source process: curl (4242)");
    assert_str_eq(l.title_for(End::dst), "Destination process: curl (4242)");
    assert_str_eq(l.stats, "curl (4242)");
    assert_ptr_equal(&cache.get(curl), &l);  // the same entry, not rendered again
    assert_int_equal(cache.handle(curl), cache.handle(SideOwner{How::conversation, 5, curl.process_id}));
    assert_ptr_equal(&cache.get(cache.handle(curl)), &l);
    assert_int_equal(cache.size(), 3);  // unknown, kernel, curl

    const OwnerLabels& k = cache.get(SideOwner{How::kernel, 0, 0});
    assert_null(k.row);
    assert_str_eq(k.name, "[kernel]");
    assert_str_eq(k.info, "kernel");
    assert_str_eq(k.title_for(End::src), "Source process: [kernel]");
    assert_str_eq(k.stats, "[kernel]");

    for (const SideOwner& o : {SideOwner{}, SideOwner{How::exact, 1, 999}}) {  // unknown; a row the journal lacks
        const OwnerLabels& u = cache.get(o);
        assert_null(u.row);
        assert_null(u.name);
        assert_str_eq(u.info, "?");
        assert_str_eq(u.title_for(End::dst), "Destination process: unknown");
        assert_true(u.stats.empty());
    }
}

void rendered_again_when_the_process_changes(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "bash", 4242);
    Followed followed(path);
    auto& [clk, f, cache] = followed;
    SideOwner o{How::exact, 1, process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80")};
    assert_str_eq(cache.get(o).info, "bash 4242");
    auto generation = f.process_generation();
    auto h = cache.handle(o);
    const OwnerLabelCache::Handle kernel = cache.handle(SideOwner{How::kernel, 0, 0}), unknown = cache.handle({});
    assert_str_eq(cache.info_tag(h, kernel), " [bash 4242 \u2192 kernel]");
    assert_str_eq(cache.info_tag(unknown, h), " [? \u2192 bash 4242]");
    assert_str_eq(cache.info_tag(h, kernel), " [bash 4242 \u2192 kernel]");  // kept, and by pair

    // The same process after exec, as a later collector records it.
    {
        JournalWriter w(path);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:5556", "10.0.0.2:80", kT0 + kSec), process(4242, 100, "curl"));
        w.flush();
    }
    assert_str_eq(cache.get(o).info, "bash 4242");  // not read yet
    clk.now += 100 * kMs;
    f.refresh(100 * kMs);
    assert_true(f.process_generation() != generation);
    assert_int_equal(process_id_of(f, "10.0.0.1:5556", "10.0.0.2:80"), o.process_id);
    const OwnerLabels& l = cache.get(o);
    assert_str_eq(l.info, "curl 4242");
    assert_str_eq(l.name, "curl");
    assert_str_eq(l.title_for(End::src), "Source process: curl (4242)");
    assert_str_eq(l.stats, "curl (4242)");
    assert_str_eq(cache.info_tag(h, kernel), " [curl 4242 \u2192 kernel]");  // made again
    assert_str_eq(cache.info_tag(unknown, h), " [? \u2192 curl 4242]");
}

// The journal file `other` takes the place of `path`, as a rotation does.
void rotate(const std::string& other, const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path + suffix);
        if (std::filesystem::exists(other + suffix)) std::filesystem::rename(other + suffix, path + suffix);
    }
}

// A frame keeps the owner of its first pass when the journal is rotated: the new file's
// process with the same row id is another process, with a handle of its own.
void labels_stay_after_rotation(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "curl", 4242);
    auto next = one_socket_journal(dir, "next.db", "wget", 777);
    Followed followed(path);
    auto& [clk, f, cache] = followed;
    std::int64_t id = process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80");
    auto h = cache.handle(SideOwner{How::exact, 1, id});  // of the journal read now
    assert_str_eq(cache.get(h).info, "curl 4242");

    rotate(next, path);
    clk.now += kSec;
    f.refresh(100 * kMs);
    assert_int_equal(process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80"), id);  // the same row id ...
    assert_str_eq(cache.get(h).info, "curl 4242");                          // ... but the frame keeps curl
    assert_str_eq(cache.get(h).name, "curl");
    assert_non_null(cache.get(h).row);
    assert_int_equal(cache.get(h).row->p.pid, 4242);
    assert_str_eq(cache.get(h).stats, "curl (4242)");
    SideOwner wget{How::exact, 1, id};
    assert_true(cache.handle(wget) != h);
    assert_str_eq(cache.get(wget).info, "wget 777");
    assert_str_eq(cache.get(h).info, "curl 4242");
}

// A flow's owner remembered before a rotation names the old journal's process.
void remembered_owner_of_a_rotated_journal(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "curl", 4242);
    auto next = one_socket_journal(dir, "next.db", "wget", 777);
    Followed followed(path);
    auto& [clk, f, cache] = followed;
    std::int64_t id = process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80");
    auto before = f.epoch();
    auto h = cache.handle(SideOwner{How::exact, 1, id, before});
    rotate(next, path);
    clk.now += kSec;
    f.refresh(100 * kMs);
    assert_true(f.epoch() != before);
    assert_int_equal(cache.handle(SideOwner{How::exact, 1, id}), cache.handle(SideOwner{How::exact, 1, id, f.epoch()}));
    assert_true(cache.handle(SideOwner{How::exact, 1, id}) != h);
    // A flow's owner remembered before the rotation (tagged with the old journal) is curl.
    assert_int_equal(cache.handle(SideOwner{How::conversation, 1, id, before}), h);
    // An owner of the old journal that was never rendered: unknown, never the new file's process.
    assert_str_eq(cache.get(SideOwner{How::conversation, 1, id + 1, before}).info, "?");
}

// The same when the proc.journal preference names another journal (a new follower).
void labels_stay_after_rebind(void**) {
    ScratchDir dir;
    auto write = [&](const char* name, const char* comm, int pid) { return one_socket_journal(dir, name, comm, pid); };
    FakeClock clk;
    JournalFollower a(write("a.db", "curl", 4242), clk.clock());
    a.refresh(100 * kMs);
    OwnerLabelCache cache(a);
    SideOwner o{How::exact, 1, process_id_of(a, "10.0.0.1:5555", "10.0.0.2:80")};
    auto h = cache.handle(o);
    assert_str_eq(cache.get(h).info, "curl 4242");

    JournalFollower b(write("b.db", "wget", 777), clk.clock());
    b.refresh(100 * kMs);
    assert_int_equal(process_id_of(b, "10.0.0.1:5555", "10.0.0.2:80"), o.process_id);
    assert_str_eq(cache.info_tag(h, h), " [curl 4242 \u2192 curl 4242]");
    cache.rebind(b);
    assert_str_eq(cache.get(h).info, "curl 4242");
    assert_str_eq(cache.get(h).name, "curl");
    assert_str_eq(cache.info_tag(h, h), " [curl 4242 \u2192 curl 4242]");
    SideOwner w{How::exact, 1, o.process_id};
    assert_true(cache.handle(w) != h);
    assert_str_eq(cache.get(w).info, "wget 777");
    assert_str_eq(cache.info_tag(h, cache.handle(w)), " [curl 4242 \u2192 wget 777]");
    // A handle the cache never made reads as unknown.
    assert_str_eq(cache.get(OwnerLabelCache::Handle(12345)).info, "?");
}

// A closed capture file's handles go; what a new file asks for is rendered again.
void cleared_with_the_file(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "curl", 4242);
    Followed followed(path);
    auto& [clk, f, cache] = followed;
    SideOwner curl{How::exact, 1, process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80")};
    auto h = cache.handle(curl);
    assert_str_eq(cache.info_tag(h, h), " [curl 4242 \u2192 curl 4242]");
    assert_non_null(cache.source_name("ebpf"));
    assert_ptr_equal(cache.source_name("ebpf"), cache.source_name("ebpf"));
    assert_null(cache.source_name(""));
    assert_int_equal(cache.size(), 3);
    cache.clear();
    assert_int_equal(cache.size(), 2);  // unknown and kernel
    assert_str_eq(cache.get(curl).info, "curl 4242");
    assert_str_eq(cache.get(SideOwner{How::kernel, 0, 0}).info, "kernel");
    // The handle goes to another process now: so does its tag.
    cache.clear();
    ProcessInfo wget;
    wget.pid = 777;
    wget.comm = "wget";
    assert_int_equal(cache.annotated(wget), h);
    assert_str_eq(cache.info_tag(h, h), " [wget 777 \u2192 wget 777]");
}

void many_processes(void**) {
    ScratchDir dir;
    auto path = one_socket_journal(dir, "j.db", "curl", 4242);
    Followed followed(path);
    auto& [clk, f, cache] = followed;
    std::vector<OwnerLabelCache::Handle> handles;
    for (std::int64_t id = -5; id < 3000; ++id) handles.push_back(cache.handle(SideOwner{How::exact, 1, id * 7}));
    assert_int_equal(cache.size(), 2 + 3005);
    for (std::int64_t id = -5; id < 3000; ++id)
        assert_int_equal(cache.handle(SideOwner{How::local, 2, id * 7}), handles[std::size_t(id + 5)]);
    // An id the journal lacks reads as unknown.
    assert_str_eq(cache.get(handles[0]).info, "?");
    SideOwner curl{How::exact, 1, process_id_of(f, "10.0.0.1:5555", "10.0.0.2:80")};
    assert_str_eq(cache.get(curl).info, "curl 4242");
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(process_kernel_and_unknown),
        cmocka_unit_test(rendered_again_when_the_process_changes),
        cmocka_unit_test(labels_stay_after_rotation),
        cmocka_unit_test(remembered_owner_of_a_rotated_journal),
        cmocka_unit_test(labels_stay_after_rebind),
        cmocka_unit_test(cleared_with_the_file),
        cmocka_unit_test(many_processes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
