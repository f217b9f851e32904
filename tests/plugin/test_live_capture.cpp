// Live-capture detection: a dumpcap child of this process, found in a /proc tree.
#include "live_capture.hpp"
#include "test_helpers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::plugin;
using namespace sockowner::test;

namespace {

void add_process(const ScratchDir& proc, const char* pid, const std::string& stat) {
    std::filesystem::create_directories(proc.file(pid));
    std::ofstream(proc.file(pid) + "/stat") << stat << "\n";
}

void finds_a_dumpcap_child(void**) {
    ScratchDir proc;
    add_process(proc, "100", "100 (dumpcap) S 42 100 100 0 -1 4194304");
    add_process(proc, "101", "101 (bash) S 42 101 101 0 -1 4194304");
    add_process(proc, "102", "102 (dumpcap) S 7 102 102 0 -1 4194304");
    add_process(proc, "103", "103 (x) dumpcap) S 55 103 103 0 -1 4194304");  // comm "x) dumpcap"
    std::filesystem::create_directories(proc.file("self"));
    std::filesystem::create_directories(proc.file("104"));  // exited: no stat
    assert_true(has_dumpcap_child(proc.file(""), 42));
    assert_true(has_dumpcap_child(proc.file(""), 7));
    assert_false(has_dumpcap_child(proc.file(""), 55));
    assert_false(has_dumpcap_child(proc.file(""), 100));
}

// Where the kernel lists each thread's children, only those are looked at: a dumpcap
// child of another thread counts, a dumpcap of ours the lists leave out does not.
void children_lists_are_read_first(void**) {
    ScratchDir proc;
    add_process(proc, "100", "100 (dumpcap) S 42 100 100 0 -1 4194304");
    add_process(proc, "101", "101 (bash) S 42 101 101 0 -1 4194304");
    std::filesystem::create_directories(proc.file("42/task/42"));
    std::filesystem::create_directories(proc.file("42/task/43"));
    std::ofstream(proc.file("42/task/42/children")) << "101 ";
    std::ofstream(proc.file("42/task/43/children")) << "";
    assert_false(has_dumpcap_child(proc.file(""), 42));
    std::ofstream(proc.file("42/task/43/children")) << "100 ";
    assert_true(has_dumpcap_child(proc.file(""), 42));
}

void missing_proc_is_not_live(void**) {
    ScratchDir proc;
    assert_false(has_dumpcap_child(proc.file("nonexistent"), 1));
    assert_false(has_dumpcap_child(proc.file(""), 1));
}

void this_process_has_none(void**) {
    assert_false(has_dumpcap_child("/proc", getpid()));
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(finds_a_dumpcap_child),
        cmocka_unit_test(children_lists_are_read_first),
        cmocka_unit_test(missing_proc_is_not_live),
        cmocka_unit_test(this_process_has_none),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
