// CMocka 1.1.5's header has no extern "C" guard and needs these includes first.
// Include it after every other header: it defines macros (fail, ...) that clash with
// names in the C++ library.
#pragma once

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string>

extern "C" {
#include <cmocka.h>
}

#define assert_str_eq(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())
