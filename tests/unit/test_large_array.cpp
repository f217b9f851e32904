// LargeArray: a std::vector whose large buffers are huge-page-advised mappings of
// their own. Contents survive growth, copies, moves and shrinking; a large buffer
// starts on a huge page boundary and its mapping carries the advice (smaps' "hg").
#include "large_array.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

using namespace sockowner;

namespace {

using Words = LargeArray<std::uint64_t>;
constexpr std::size_t kHuge = LargeArrayAllocator<std::uint64_t>::kHugePage;
constexpr bool kMapped = LargeArrayAllocator<std::uint64_t>::kThreshold == kHuge;  // not under ASan

// The VmFlags line of the mapping that holds `p`, from /proc/self/smaps.
std::string vm_flags_of(const void* p) {
    const auto at = reinterpret_cast<std::uintptr_t>(p);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
            inside = lo <= at && at < hi;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line;
    }
    return {};
}

bool holds_0_to(const Words& v, std::size_t n) {
    if (v.size() != n) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (v[i] != i * 7) return false;
    return true;
}

void grows_copies_and_shrinks(void**) {
    const std::size_t n = 3 * kHuge / sizeof(std::uint64_t);  // 6 MiB: through every size up to it
    Words v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(i * 7);
    assert_true(holds_0_to(v, n));
    if (kMapped) {
        assert_int_equal(reinterpret_cast<std::uintptr_t>(v.data()) % kHuge, 0);
        const std::string flags = vm_flags_of(v.data());
        assert_true(flags.find(" hg") != std::string::npos);
    }
    Words copy = v;
    assert_true(holds_0_to(copy, n));
    Words moved = std::move(copy);
    assert_true(holds_0_to(moved, n));
    v.resize(100);
    v.shrink_to_fit();  // back to the default allocator's memory
    assert_true(holds_0_to(v, 100));
    if (kMapped) assert_true(vm_flags_of(v.data()).find(" hg") == std::string::npos);
    v.assign(n + 1, 1);  // one element past a whole number of huge pages
    assert_int_equal(v.back(), 1);
    v.clear();
    v.shrink_to_fit();
    assert_true(v.empty());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(grows_copies_and_shrinks),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
