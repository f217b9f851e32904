// The index's flat tuple table: finds what it stored through growth, nothing else.
#include "test_helpers.hpp"
#include "tuple_table.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

#include <string>

using namespace sockowner;
using namespace sockowner::test;

namespace {

TupleKey key(int i) {
    std::string local = "127.0.0." + std::to_string(1 + i % 200) + ":" + std::to_string(1000 + i);
    return TupleKey::of(Proto::tcp, ep(local.c_str()), ep("10.0.0.1:80"));
}

void stores_and_finds_through_growth(void**) {
    TupleTable t;
    assert_int_equal(t.find(key(0)), TupleTable::kNone);  // empty
    for (int i = 0; i < 5000; ++i) {
        std::uint32_t& v = t.at(key(i));
        assert_int_equal(v, TupleTable::kNone);  // new
        v = std::uint32_t(i);
    }
    assert_int_equal(t.size(), 5000);
    for (int i = 0; i < 5000; ++i) assert_int_equal(t.find(key(i)), i);
    assert_int_equal(t.find(key(5000)), TupleTable::kNone);
    // The same key again: its slot, not a new one.
    t.at(key(42)) = 4242;
    assert_int_equal(t.size(), 5000);
    assert_int_equal(t.find(key(42)), 4242);
    // Keys differing only in protocol or family are different keys.
    TupleKey udp = TupleKey::of(Proto::udp, ep("127.0.0.2:1001"), ep("10.0.0.1:80"));
    assert_int_equal(t.find(udp), TupleTable::kNone);
    TupleKey v6 = TupleKey::of(Proto::tcp, ep("[::1]:1000"), ep("[::1]:80"));
    assert_int_equal(t.find(v6), TupleTable::kNone);
    t.clear();
    assert_int_equal(t.size(), 0);
    assert_int_equal(t.find(key(1)), TupleTable::kNone);
}

void reserve_keeps_contents(void**) {
    TupleTable t;
    t.at(key(1)) = 1;
    t.reserve(100000);
    assert_int_equal(t.find(key(1)), 1);
    assert_int_equal(t.size(), 1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(stores_and_finds_through_growth),
        cmocka_unit_test(reserve_keeps_contents),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
