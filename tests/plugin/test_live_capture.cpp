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
        cmocka_unit_test(missing_proc_is_not_live),
        cmocka_unit_test(this_process_has_none),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
