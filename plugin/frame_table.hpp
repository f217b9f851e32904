// Per-frame records by frame number, in fixed chunks: no allocation per frame, and a
// record never moves once made.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace sockowner::plugin {

template <class Record, std::size_t kChunk = 4096>
class FrameTable {
public:
    // The record of frame `num`, or nullptr when none was made.
    Record* find(std::uint32_t num) {
        std::size_t c = num / kChunk;
        return c < chunks_.size() && chunks_[c] ? &(*chunks_[c])[num % kChunk] : nullptr;
    }
    // The record of frame `num`, made (value-initialised) when needed.
    Record& make(std::uint32_t num) {
        std::size_t c = num / kChunk;
        if (c >= chunks_.size()) chunks_.resize(c + 1);
        if (!chunks_[c]) chunks_[c] = std::make_unique<std::array<Record, kChunk>>();
        return (*chunks_[c])[num % kChunk];
    }
    void clear() {
        chunks_.clear();
        chunks_.shrink_to_fit();
    }

private:
    std::vector<std::unique_ptr<std::array<Record, kChunk>>> chunks_;
};

}  // namespace sockowner::plugin
