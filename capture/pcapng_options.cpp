#include "pcapng_options.hpp"

#include "byte_order.hpp"

namespace sockowner::capture {

bool OptionReader::next(Option& out) {
    if (malformed_ || rest_.size() < 4) {
        // 1 to 3 bytes cannot hold an option; blocks are multiples of 4, so this only
        // happens to spans that a caller cut oddly.
        malformed_ = malformed_ || !rest_.empty();
        return false;
    }
    const std::uint16_t code = load16(order_, rest_.data());
    const std::uint16_t length = load16(order_, rest_.data() + 2);
    if (code == kOptEnd) return false;
    const std::size_t total = 4 + std::size_t(length) + pad4(length);
    if (total > rest_.size()) {
        malformed_ = true;
        return false;
    }
    out.code = code;
    out.value = rest_.subspan(4, length);
    rest_ = rest_.subspan(total);
    consumed_ += total;
    return true;
}

OptionsExtent options_extent(ByteOrder order, std::span<const std::uint8_t> options) {
    OptionReader r(order, options);
    Option o;
    while (r.next(o)) {
    }
    return {r.consumed(), !r.malformed()};
}

bool has_option(ByteOrder order, std::span<const std::uint8_t> options, std::uint16_t code) {
    OptionReader r(order, options);
    Option o;
    while (r.next(o))
        if (o.code == code) return true;
    return false;
}

}  // namespace sockowner::capture
