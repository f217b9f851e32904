#include "pcapng_writer.hpp"

#include "block_builder.hpp"
#include "byte_order.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sockowner::capture {

namespace {

// The longest prefix of `s` that fits in an option and does not end inside a UTF-8
// sequence.
std::string_view option_text(std::string_view s) {
    if (s.size() <= 0xffff) return s;
    std::size_t n = 0xffff;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;  // s[n]: first byte cut off
    return s.substr(0, n);
}

}  // namespace

PcapngWriter::PcapngWriter(int fd, std::string name_for_errors)
    : fd_(fd), name_(std::move(name_for_errors)) {
    buf_.data = std::make_unique_for_overwrite<std::uint8_t[]>(kBufferSize);
    buf_.capacity = kBufferSize;
}

void PcapngWriter::need_section(const char* what) const {
    if (!in_section_) throw CaptureError(name_ + ": " + what + " before the first section header block");
}

void PcapngWriter::section(ByteOrder order, std::span<const std::uint8_t> shb) {
    order_ = order;
    in_section_ = true;
    copy(shb);
}

void PcapngWriter::block(std::span<const std::uint8_t> raw) {
    need_section("block");
    if (raw.size() >= 4 && load32(order_, raw.data()) == kBlockDarwinProcess) ++darwin_blocks_;
    copy(raw);
}

std::uint32_t PcapngWriter::darwin_process(std::uint32_t pid, std::string_view name) {
    need_section("Darwin process block");
    BlockBuilder b(order_, kBlockDarwinProcess);
    // Always a name, even empty: Wireshark 4.6 shows neither pid nor name of a block
    // without one (an empty one it shows, as an empty name).
    b.u32(pid).option(kOptDarwinProcessName, option_text(name)).end_options();
    copy(b.finish());
    return darwin_blocks_++;
}

void PcapngWriter::packet(const Packet& p, const Extra& extra) {
    need_section("packet");
    if (p.options.size() % 4) throw CaptureError(name_ + ": packet options of " + std::to_string(p.options.size()) +
                                                 " bytes, not whole options");
    const ByteOrder o = order_;
    const std::size_t caplen = p.data.size();
    const std::string_view comment = extra.comment ? option_text(*extra.comment) : std::string_view();
    std::size_t options = p.options.size();
    if (extra.comment) options += 4 + comment.size() + pad4(comment.size());
    // Wireshark 4.6 reads these two in its own (little-endian) order whatever the
    // section's: in a big-endian section they would name the wrong process, or none
    // with a warning. Left out there.
    const bool darwin = extra.darwin_process && o == ByteOrder::little;
    if (darwin) options += 2 * 8;
    if (extra.pid) options += 12;
    if (options) options += 4;  // opt_endofopt
    const std::size_t total = 32 + caplen + pad4(caplen) + options;
    if (total > kMaxBlockLength) throw CaptureError(name_ + ": packet of " + std::to_string(caplen) + " bytes too large");

    std::uint8_t* w = reserve(total);
    store32(o, w, kBlockEpb);
    store32(o, w + 4, std::uint32_t(total));
    store32(o, w + 8, p.interface_id);
    store32(o, w + 12, p.ts_high);
    store32(o, w + 16, p.ts_low);
    store32(o, w + 20, std::uint32_t(caplen));
    store32(o, w + 24, p.orig_len);
    w += 28;
    if (caplen) std::memcpy(w, p.data.data(), caplen);
    w += caplen;
    for (std::size_t i = 0; i < pad4(caplen); ++i) *w++ = 0;
    if (!p.options.empty()) std::memcpy(w, p.options.data(), p.options.size());
    w += p.options.size();
    if (extra.comment) {
        store16(o, w, kOptComment);
        store16(o, w + 2, std::uint16_t(comment.size()));
        if (!comment.empty()) std::memcpy(w + 4, comment.data(), comment.size());
        w += 4 + comment.size();
        for (std::size_t i = 0; i < pad4(comment.size()); ++i) *w++ = 0;
    }
    if (darwin) {
        for (std::uint16_t code : {kOptEpbDarwinProcess, kOptEpbDarwinEffectiveProcess}) {
            store16(o, w, code);
            store16(o, w + 2, 4);
            store32(o, w + 4, *extra.darwin_process);
            w += 8;
        }
    }
    if (extra.pid) {
        store16(o, w, kOptEpbProcessThread);
        store16(o, w + 2, 8);
        store32(o, w + 4, *extra.pid);
        store32(o, w + 8, extra.tid.value_or(*extra.pid));
        w += 12;
    }
    if (options) {
        store32(o, w, 0);  // opt_endofopt: code 0, length 0
        w += 4;
    }
    store32(o, w, std::uint32_t(total));
}

void PcapngWriter::finish() {
    if (background_) {
        hand_over(0);
        background_->finish();
        return;
    }
    // Smaller than the buffer: written here, no thread started.
    const std::size_t n = buf_.used;
    buf_.used = 0;  // written or not, what failed is not written twice
    if (std::string error = write_fully(fd_, name_, handed_over_, buf_.data.get(), n); !error.empty())
        throw CaptureError(error);
    handed_over_ += n;
}

// Room for n bytes at the end of the buffer, handing it over first when they do not
// fit; a block larger than the buffer gets a buffer of its own size (the reader allows
// 128 MiB blocks).
std::uint8_t* PcapngWriter::reserve(std::size_t n) {
    if (buf_.capacity - buf_.used < n) hand_over(n);
    std::uint8_t* p = buf_.data.get() + buf_.used;
    buf_.used += n;
    return p;
}

void PcapngWriter::copy(std::span<const std::uint8_t> raw) {
    if (!raw.empty()) std::memcpy(reserve(raw.size()), raw.data(), raw.size());
}

void PcapngWriter::hand_over(std::size_t min_capacity) {
    if (!background_) background_ = std::make_unique<BackgroundWriter>(fd_, name_);
    handed_over_ += buf_.used;
    // Empty while submit() runs: after a write error every later call fails the same way.
    WriteBuffer full = std::exchange(buf_, {});
    buf_ = background_->submit(std::move(full), std::max(min_capacity, kBufferSize));
}

}  // namespace sockowner::capture
