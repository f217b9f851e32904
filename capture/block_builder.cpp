#include "block_builder.hpp"

#include "byte_order.hpp"

namespace sockowner::capture {

BlockBuilder::BlockBuilder(ByteOrder order, std::uint32_t type) : order_(order) {
    u32(type);
    u32(0);  // length, set by finish()
}

BlockBuilder& BlockBuilder::u16(std::uint16_t v) {
    b_.resize(b_.size() + 2);
    store16(order_, b_.data() + b_.size() - 2, v);
    return *this;
}

BlockBuilder& BlockBuilder::u32(std::uint32_t v) {
    b_.resize(b_.size() + 4);
    store32(order_, b_.data() + b_.size() - 4, v);
    return *this;
}

BlockBuilder& BlockBuilder::u64(std::uint64_t v) {
    b_.resize(b_.size() + 8);
    store64(order_, b_.data() + b_.size() - 8, v);
    return *this;
}

BlockBuilder& BlockBuilder::bytes(std::span<const std::uint8_t> b) {
    b_.insert(b_.end(), b.begin(), b.end());
    return *this;
}

BlockBuilder& BlockBuilder::pad() {
    b_.resize(b_.size() + pad4(b_.size()));
    return *this;
}

BlockBuilder& BlockBuilder::option(std::uint16_t code, std::span<const std::uint8_t> value) {
    if (value.size() > 0xffff) value = value.first(0xffff);
    u16(code);
    u16(std::uint16_t(value.size()));
    bytes(value);
    return pad();
}

BlockBuilder& BlockBuilder::option(std::uint16_t code, std::string_view text) {
    return option(code, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

BlockBuilder& BlockBuilder::end_options() {
    return u32(0);
}

std::vector<std::uint8_t> BlockBuilder::finish() {
    pad();
    u32(0);
    const auto length = std::uint32_t(b_.size());
    store32(order_, b_.data() + 4, length);
    store32(order_, b_.data() + b_.size() - 4, length);
    return std::move(b_);
}

}  // namespace sockowner::capture
