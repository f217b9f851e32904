// Builds one pcapng block in memory: header, body, options, trailing length. For the
// blocks made once in a while (the SHB and IDB of a pcap input, a Darwin process
// block); the writer's packet path writes into its buffer directly.
#pragma once

#include "capture_types.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sockowner::capture {

class BlockBuilder {
public:
    BlockBuilder(ByteOrder order, std::uint32_t type);

    BlockBuilder& u16(std::uint16_t v);
    BlockBuilder& u32(std::uint32_t v);
    BlockBuilder& u64(std::uint64_t v);
    BlockBuilder& bytes(std::span<const std::uint8_t> b);
    BlockBuilder& pad();  // zeros to the next multiple of 4
    // One option, padded; values longer than 65535 bytes are cut to fit.
    BlockBuilder& option(std::uint16_t code, std::span<const std::uint8_t> value);
    BlockBuilder& option(std::uint16_t code, std::string_view text);
    BlockBuilder& end_options();  // opt_endofopt

    // Pads, appends the trailing length and fills in the leading one.
    std::vector<std::uint8_t> finish();

private:
    ByteOrder order_;
    std::vector<std::uint8_t> b_;
};

}  // namespace sockowner::capture
