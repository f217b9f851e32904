// A clock the journal follower's tests set by hand.
#pragma once

#include "journal_follower.hpp"
#include "test_helpers.hpp"

namespace sockowner::test {

inline constexpr TimeNs kMs = 1'000'000;

struct FakeClock {
    TimeNs now = 1'000 * kSec;
    attribution::Clock clock() {
        return [this] { return now; };
    }
};

}  // namespace sockowner::test
