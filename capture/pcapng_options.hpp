// Walking a pcapng options list: code, length, value padded to 4 bytes, until
// opt_endofopt or the end of the block. Used by the reader (to check and to find
// if_tsresol), by the command (has the packet a comment already?) and by the tests.
#pragma once

#include "capture_types.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace sockowner::capture {

struct Option {
    std::uint16_t code = 0;
    std::span<const std::uint8_t> value;  // without its padding
};

class OptionReader {
public:
    // `options`: from the first option to the end of the block's body (before its
    // trailing length), in the section's byte order.
    OptionReader(ByteOrder order, std::span<const std::uint8_t> options) : order_(order), rest_(options) {}

    // The next option; false at opt_endofopt, at the end, or when the next option
    // runs past the end (then malformed()).
    bool next(Option& out);
    bool malformed() const { return malformed_; }
    // Bytes taken so far by the options returned, padding included (opt_endofopt
    // and anything after it not counted).
    std::size_t consumed() const { return consumed_; }

private:
    ByteOrder order_;
    std::span<const std::uint8_t> rest_;
    std::size_t consumed_ = 0;
    bool malformed_ = false;
};

// How far the options go before opt_endofopt (or the end), and whether they are
// well formed (ok false: an option runs past the end).
struct OptionsExtent {
    std::size_t length = 0;  // bytes of options before opt_endofopt (or the end)
    bool ok = true;
};
OptionsExtent options_extent(ByteOrder order, std::span<const std::uint8_t> options);

// Whether the options hold one with this code.
bool has_option(ByteOrder order, std::span<const std::uint8_t> options, std::uint16_t code);

}  // namespace sockowner::capture
