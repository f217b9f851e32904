// pcapng: sections, each a section header block (its byte order and version) then
// blocks of that order. Packets are checked against the section's interfaces and
// their timestamps converted with the interface's clock; everything else is passed
// on raw once its framing (lengths) is checked.
#include "byte_order.hpp"
#include "capture_formats.hpp"
#include "pcapng_options.hpp"
#include "timestamp.hpp"

#include <vector>

namespace sockowner::capture {

namespace {

struct Interface {
    std::uint16_t linktype;
    TimeBase clock;
};

class PcapngReader {
public:
    PcapngReader(ByteSource& in, CaptureSink& sink) : in_(in), sink_(sink) {}
    void run();

private:
    void section_header();
    std::span<const std::uint8_t> checked_block(std::uint32_t length, const char* what);
    void interface_description(std::span<const std::uint8_t> b);
    void packet(std::span<const std::uint8_t> b, bool enhanced);
    std::span<const std::uint8_t> checked_options(std::span<const std::uint8_t> options, const char* block);
    [[noreturn]] void fail(const std::string& what) { fail_at(in_, what, in_.offset()); }

    ByteSource& in_;
    CaptureSink& sink_;
    ByteOrder order_ = ByteOrder::little;
    std::vector<Interface> interfaces_;  // of the current section
};

void PcapngReader::run() {
    section_header();  // read_capture() saw its block type
    for (;;) {
        const std::uint8_t* h = in_.peek(8);
        if (!h) {
            if (in_.left() == 0) return;
            fail_truncated(in_, "block header", "header length", 8);
        }
        const std::uint32_t type = load32(order_, h);
        if (type == kBlockShb) {
            section_header();
            continue;
        }
        const auto b = checked_block(load32(order_, h + 4), "block");
        switch (type) {
            case kBlockIdb: interface_description(b); break;
            case kBlockEpb: packet(b, true); break;
            case kBlockPacketObsolete: packet(b, false); break;
            case kBlockSpb:
                // Its packet is on interface 0; without one, readers reject the file.
                if (interfaces_.empty()) fail("simple packet block before any interface description in its section");
                sink_.unattributable(b);
                break;
            default: sink_.block(b); break;
        }
        in_.consume(b.size());
    }
}

// The whole block at the current position, its two lengths checked.
std::span<const std::uint8_t> PcapngReader::checked_block(std::uint32_t length, const char* what) {
    auto bad = [&](const char* why) {
        fail("bad block length " + std::to_string(length) + " (" + why + ") of the " + what);
    };
    if (length < 12) bad("under 12");
    if (length % 4) bad("not a multiple of 4");
    if (length > kMaxBlockLength) bad("over 128 MiB");
    const std::uint8_t* b = in_.peek(length);
    if (!b) fail_truncated(in_, what, "block length", length);
    const std::uint32_t trailer = load32(order_, b + length - 4);
    if (trailer != length)
        fail("trailing length " + std::to_string(trailer) + " differs from leading length " + std::to_string(length) +
             " of the " + what);
    return {b, length};
}

// The options up to opt_endofopt; throws when one runs past the block.
std::span<const std::uint8_t> PcapngReader::checked_options(std::span<const std::uint8_t> options,
                                                            const char* block) {
    const OptionsExtent e = options_extent(order_, options);
    if (!e.ok) fail(std::string("option running past the end of the ") + block);
    return options.first(e.length);
}

void PcapngReader::section_header() {
    const std::uint8_t* h = in_.peek(12);
    if (!h) fail_truncated(in_, "section header block", "header length", 12);
    const std::uint32_t magic = load32(ByteOrder::little, h + 8);
    if (magic == 0x1A2B3C4D)
        order_ = ByteOrder::little;
    else if (magic == 0x4D3C2B1A)
        order_ = ByteOrder::big;
    else
        fail("bad byte-order magic in the section header block");
    const std::uint32_t length = load32(order_, h + 4);
    if (length < 28) fail("bad block length " + std::to_string(length) + " (under 28) of the section header block");
    const auto b = checked_block(length, "section header block");
    const std::uint16_t major = load16(order_, b.data() + 12);
    if (major != 1)
        fail("unsupported pcapng version " + std::to_string(major) + "." +
             std::to_string(load16(order_, b.data() + 14)) + " in the section header block");
    checked_options(b.subspan(24, b.size() - 28), "section header block");
    interfaces_.clear();
    sink_.section(order_, b);
    in_.consume(b.size());
}

void PcapngReader::interface_description(std::span<const std::uint8_t> b) {
    if (b.size() < 20) fail("interface description block too short");
    const auto options = checked_options(b.subspan(16, b.size() - 20), "interface description block");
    interfaces_.push_back({load16(order_, b.data() + 8), idb_time_base(order_, options)});
    sink_.block(b);
}

// EPB: u32 interface, u32 ts high, u32 ts low, u32 captured, u32 original, data.
// PB (obsolete): u16 interface, u16 drops, then the same.
void PcapngReader::packet(std::span<const std::uint8_t> b, bool enhanced) {
    const char* what = enhanced ? "enhanced packet block" : "packet block";
    const auto body = b.subspan(8, b.size() - 12);
    if (body.size() < 20) fail(std::string(what) + " too short");
    const std::uint8_t* f = body.data();
    Packet p;
    p.interface_id = enhanced ? load32(order_, f) : load16(order_, f);
    if (p.interface_id >= interfaces_.size())
        fail(std::string(what) + " for interface " + std::to_string(p.interface_id) + " (its section describes " +
             std::to_string(interfaces_.size()) + ")");
    const Interface& iface = interfaces_[p.interface_id];
    p.linktype = iface.linktype;
    p.ts_high = load32(order_, f + 4);
    p.ts_low = load32(order_, f + 8);
    p.time_ns = iface.clock.to_ns(std::uint64_t(p.ts_high) << 32 | p.ts_low);
    const std::uint32_t caplen = load32(order_, f + 12);
    p.orig_len = load32(order_, f + 16);
    if (caplen > kMaxCaptureLength) fail("captured length " + std::to_string(caplen) + " over 16 MiB in the " + what);
    const std::size_t data_end = 20 + std::size_t(caplen) + pad4(caplen);
    if (data_end > body.size())
        fail("captured length " + std::to_string(caplen) + " past the end of the " + std::string(what));
    p.data = body.subspan(20, caplen);
    // A PB's options (comment, flags, hash) have the codes and layout of an EPB's.
    p.options = checked_options(body.subspan(data_end), what);
    sink_.packet(p);
}

}  // namespace

void read_pcapng(ByteSource& in, CaptureSink& sink) {
    PcapngReader(in, sink).run();
}

}  // namespace sockowner::capture
