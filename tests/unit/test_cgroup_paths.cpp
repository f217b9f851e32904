// Cgroup id → path over a directory tree (a cgroup-v2 id is its directory's inode).
#include "cgroup_paths.hpp"
#include "test_helpers.hpp"

#include <sys/stat.h>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

std::uint64_t inode(const std::string& path) {
    struct stat st {};
    assert_int_equal(stat(path.c_str(), &st), 0);
    return st.st_ino;
}

void ids_resolve_to_paths(void**) {
    ScratchDir root;
    std::filesystem::create_directories(root.file("system.slice/docker-abc.scope"));
    std::filesystem::create_directories(root.file("user.slice"));
    CgroupPaths paths(root.file(""));
    assert_str_eq(paths.path_of(inode(root.file("")), kT0).value(), "/");
    assert_str_eq(paths.path_of(inode(root.file("system.slice/docker-abc.scope")), kT0).value(),
                  "/system.slice/docker-abc.scope");
    assert_str_eq(paths.path_of(inode(root.file("user.slice")), kT0).value(), "/user.slice");
    assert_int_equal(paths.rescans(), 1);  // one walk answered them all
    assert_false(paths.path_of(0, kT0).has_value());
}

void unknown_ids_rescan_at_most_once_per_interval(void**) {
    ScratchDir root;
    CgroupPaths paths(root.file(""));
    assert_true(paths.path_of(inode(root.file("")), kT0).has_value());
    std::filesystem::create_directories(root.file("new.scope"));
    std::uint64_t id = inode(root.file("new.scope"));
    assert_false(paths.path_of(id, kT0 + kSec / 2).has_value());  // too soon to walk again
    assert_false(paths.path_of(id + 1'000'000, kT0 + kSec / 2).has_value());
    assert_int_equal(paths.rescans(), 1);
    assert_str_eq(paths.path_of(id, kT0 + 2 * kSec).value(), "/new.scope");
    assert_int_equal(paths.rescans(), 2);
}

void missing_root_resolves_nothing(void**) {
    CgroupPaths none("/nonexistent/cgroup");
    assert_false(none.path_of(1, kT0).has_value());
    CgroupPaths empty("");
    assert_false(empty.path_of(1, kT0).has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(ids_resolve_to_paths),
        cmocka_unit_test(unknown_ids_rescan_at_most_once_per_interval),
        cmocka_unit_test(missing_root_resolves_nothing),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
