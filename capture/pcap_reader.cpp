// Classic pcap: a 24-byte file header, then records of a 16-byte header (24 in the
// "modified pcap" of old Red Hat tcpdumps) and the captured bytes. Emitted as one
// little-endian pcapng section with one interface whose resolution is the file's.
#include "block_builder.hpp"
#include "byte_order.hpp"
#include "capture_formats.hpp"
#include "timestamp.hpp"

namespace sockowner::capture {

namespace {

struct PcapHeader {
    ByteOrder order = ByteOrder::little;
    bool nanoseconds = false;
    bool modified = false;  // 0xa1b2cd34: 8 more bytes per record (ifindex, protocol, type)
    std::uint32_t snaplen = 0;
    std::uint16_t linktype = 0;
};

PcapHeader parse_header(ByteSource& in) {
    const std::uint8_t* h = in.peek(24);
    if (!h) fail_truncated(in, "pcap file header", "header length", 24);
    PcapHeader ph;
    std::uint32_t magic = load32(ByteOrder::little, h);
    if ((magic >> 16) != 0xa1b2) {
        ph.order = ByteOrder::big;
        magic = __builtin_bswap32(magic);
    }
    ph.nanoseconds = magic == 0xa1b23c4d;
    ph.modified = magic == 0xa1b2cd34;
    const std::uint16_t major = load16(ph.order, h + 4);
    if (major != 2)
        throw CaptureError(in.name() + ": unsupported pcap version " + std::to_string(major) + "." +
                           std::to_string(load16(ph.order, h + 6)));
    ph.snaplen = load32(ph.order, h + 16);
    // The upper bits hold the FCS length of some captures; the link type is the
    // low 16 bits (pcapng's IDB has only those).
    ph.linktype = std::uint16_t(load32(ph.order, h + 20));
    in.consume(24);
    return ph;
}

void emit_blocks(const PcapHeader& ph, CaptureSink& sink) {
    BlockBuilder shb(ByteOrder::little, kBlockShb);
    shb.u32(0x1A2B3C4D).u16(1).u16(0).u64(~std::uint64_t(0));  // section length unknown
    shb.option(kOptShbUserAppl, "sockowner").end_options();
    const auto shb_bytes = shb.finish();
    sink.section(ByteOrder::little, shb_bytes);

    BlockBuilder idb(ByteOrder::little, kBlockIdb);
    idb.u16(ph.linktype).u16(0).u32(ph.snaplen);
    if (ph.nanoseconds) {
        const std::uint8_t nine = TimeBase::kNanoseconds;
        idb.option(kOptIfTsresol, std::span(&nine, 1)).end_options();
    }
    const auto idb_bytes = idb.finish();
    sink.block(idb_bytes);
}

}  // namespace

void read_pcap(ByteSource& in, CaptureSink& sink) {
    const PcapHeader ph = parse_header(in);
    emit_blocks(ph, sink);
    const std::size_t record_header = ph.modified ? 24 : 16;
    const std::uint64_t per_second = ph.nanoseconds ? 1'000'000'000 : 1'000'000;
    const TimeBase clock(ph.nanoseconds ? TimeBase::kNanoseconds : TimeBase::kMicroseconds);

    Packet p;
    p.linktype = ph.linktype;
    for (;;) {
        const std::uint8_t* h = in.peek(record_header);
        if (!h) {
            if (in.left() == 0) return;
            fail_truncated(in, "packet record header", "header length", record_header);
        }
        const std::uint32_t caplen = load32(ph.order, h + 8);
        if (caplen > kMaxCaptureLength)
            fail_at(in, "captured length " + std::to_string(caplen) + " over 16 MiB in the packet record", in.offset());
        const std::uint8_t* r = in.peek(record_header + caplen);
        if (!r) fail_truncated(in, "packet record", "record length", record_header + caplen);
        // Seconds are unsigned (pcap's files outlive 2038); a fraction out of range
        // is kept as the file says.
        const std::uint64_t ticks = std::uint64_t(load32(ph.order, r)) * per_second + load32(ph.order, r + 4);
        p.time_ns = clock.to_ns(ticks);
        p.ts_high = std::uint32_t(ticks >> 32);
        p.ts_low = std::uint32_t(ticks);
        p.orig_len = load32(ph.order, r + 12);
        p.data = std::span(r + record_header, caplen);
        sink.packet(p);
        in.consume(record_header + caplen);
    }
}

}  // namespace sockowner::capture
