// Interface clocks: if_tsresol as a power of 10 or of 2, if_tsoffset, and the
// saturation of timestamps no clock can hold.
#include "timestamp.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

#include <cstdint>
#include <limits>
#include <vector>

using namespace sockowner::capture;

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

void powers_of_ten(void**) {
    assert_int_equal(TimeBase().to_ns(1'700'000'000'123'456), 1'700'000'000'123'456'000);  // µs by default
    assert_int_equal(TimeBase(9).to_ns(1'700'000'000'123'456'789), 1'700'000'000'123'456'789);
    assert_int_equal(TimeBase(0).to_ns(1'700'000'000), 1'700'000'000'000'000'000);
    assert_int_equal(TimeBase(3).to_ns(1'700'000'000'123), 1'700'000'000'123'000'000);
    // Finer than ns: rounded down.
    assert_int_equal(TimeBase(12).to_ns(17'000'000'001'234'567'899ull), 17'000'000'001'234'567);
    assert_int_equal(TimeBase(28).to_ns(~0ull), 1);  // 10^19 ticks per ns
    assert_int_equal(TimeBase(29).to_ns(~0ull), 0);
    assert_int_equal(TimeBase(127).to_ns(~0ull), 0);
}

void powers_of_two(void**) {
    assert_int_equal(TimeBase(0x80).to_ns(5), 5'000'000'000);  // 2^0: seconds
    assert_int_equal(TimeBase(0x8a).to_ns(1024 * 7 + 512), 7'500'000'000);
    assert_int_equal(TimeBase(0x9e).to_ns(std::uint64_t(1) << 30), 1'000'000'000);  // 2^-30
    assert_int_equal(TimeBase(0xa0).to_ns(std::uint64_t(1'700'000'000) << 32), 1'700'000'000'000'000'000);
    assert_int_equal(TimeBase(0xff).to_ns(~0ull), 0);  // 2^-127: the shift stays valid
}

void offsets_and_saturation(void**) {
    assert_int_equal(TimeBase(6, 1'000'000'000).to_ns(1'500'000), 1'000'000'001'500'000'000);
    assert_int_equal(TimeBase(6, -10).to_ns(0), -10'000'000'000);
    // A u64 of ns ticks, or an offset of 2^62 s, is past what int64 ns hold.
    assert_int_equal(TimeBase(9).to_ns(~0ull), kMax);
    assert_int_equal(TimeBase(0).to_ns(~0ull), kMax);
    assert_int_equal(TimeBase(6, std::int64_t(1) << 62).to_ns(0), kMax);
    assert_int_equal(TimeBase(6, kMin).to_ns(~0ull), kMin);
}

// IDB options, little- and big-endian: the first if_tsresol and if_tsoffset count.
void from_idb_options(void**) {
    for (ByteOrder o : {ByteOrder::little, ByteOrder::big}) {
        const bool big = o == ByteOrder::big;
        std::vector<std::uint8_t> opts = {
            // if_name "a" (code 2, length 1, 3 bytes of padding)
            std::uint8_t(big ? 0 : 2), std::uint8_t(big ? 2 : 0), std::uint8_t(big ? 0 : 1), std::uint8_t(big ? 1 : 0), 'a', 0, 0, 0,
            // if_tsresol 3
            std::uint8_t(big ? 0 : 9), std::uint8_t(big ? 9 : 0), std::uint8_t(big ? 0 : 1), std::uint8_t(big ? 1 : 0), 3, 0, 0, 0,
            // if_tsoffset 100 s
            std::uint8_t(big ? 0 : 14), std::uint8_t(big ? 14 : 0), std::uint8_t(big ? 0 : 8), std::uint8_t(big ? 8 : 0)};
        for (int i = 0; i < 8; ++i) opts.push_back(std::uint8_t(std::uint64_t(100) >> 8 * (big ? 7 - i : i)));
        // a second if_tsresol: ignored
        for (std::uint8_t b : {std::uint8_t(big ? 0 : 9), std::uint8_t(big ? 9 : 0), std::uint8_t(big ? 0 : 1),
                               std::uint8_t(big ? 1 : 0), std::uint8_t(9), std::uint8_t(0), std::uint8_t(0), std::uint8_t(0)})
            opts.push_back(b);
        const TimeBase t = idb_time_base(o, opts);
        assert_int_equal(t.tsresol(), 3);
        assert_int_equal(t.offset_s(), 100);
        assert_int_equal(t.to_ns(2'500), 102'500'000'000);
    }
    // No options, and an if_tsresol of the wrong length: µs.
    assert_int_equal(idb_time_base(ByteOrder::little, {}).tsresol(), 6);
    const std::vector<std::uint8_t> wrong = {9, 0, 2, 0, 3, 3, 0, 0};
    assert_int_equal(idb_time_base(ByteOrder::little, wrong).tsresol(), 6);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(powers_of_ten),
        cmocka_unit_test(powers_of_two),
        cmocka_unit_test(offsets_and_saturation),
        cmocka_unit_test(from_idb_options),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
