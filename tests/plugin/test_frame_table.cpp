// Per-frame records by frame number: made on demand, in any order, never moved.
#include "frame_records.hpp"
#include "frame_table.hpp"

#include <functional>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::plugin;

namespace {

struct Rec {
    int value = 0;
};

void made_on_demand(void**) {
    FrameTable<Rec, 8> t;
    assert_null(t.find(0));
    assert_null(t.find(1));
    Rec& r1 = t.make(1);
    assert_int_equal(r1.value, 0);
    r1.value = 11;
    assert_ptr_equal(t.find(1), &r1);
    assert_int_equal(t.find(2)->value, 0);  // same chunk: made, empty
    assert_null(t.find(8));
    // Far ahead, then back: earlier records stay where they were.
    t.make(1000).value = 1000;
    assert_null(t.find(500));
    assert_ptr_equal(t.find(1), &r1);
    assert_int_equal(t.find(1000)->value, 1000);
    for (std::uint32_t n = 1; n < 2000; ++n) t.make(n).value += 1;
    assert_int_equal(r1.value, 12);
    assert_int_equal(t.find(1000)->value, 1001);
    assert_int_equal(t.find(1999)->value, 1);
    t.clear();
    assert_null(t.find(1));
    assert_int_equal(t.make(1).value, 0);
}

struct Pair {
    int src = 0, dst = 0;
    friend bool operator==(const Pair&, const Pair&) = default;
};
struct PairHash {
    std::size_t operator()(const Pair& p) const { return std::hash<int>{}(p.src * 31 + p.dst); }
};

// A million frames of three distinct answers: three records, four bytes a frame.
void records_shared_by_frames(void**) {
    FrameRecords<Pair, PairHash> t;
    assert_null(t.find(1));
    const Pair& a = t.store(1, Pair{1, 2});
    for (std::uint32_t n = 2; n <= 1'000'000; ++n) t.store(n, Pair{int(n % 3), 2});
    assert_int_equal(t.distinct(), 3);
    assert_ptr_equal(t.find(1), &a);  // never moved
    assert_int_equal(t.find(999'999)->src, 999'999 % 3);
    assert_null(t.find(1'000'001));
    t.store(7, Pair{5, 5});  // a frame's record replaced (a new first pass after clear, in practice)
    assert_int_equal(t.find(7)->src, 5);
    t.clear();
    assert_null(t.find(1));
    assert_int_equal(t.distinct(), 0);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(made_on_demand),
        cmocka_unit_test(records_shared_by_frames),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
