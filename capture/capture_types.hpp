// What the capture reader hands over and the pcapng writer takes: the error, a
// section's byte order, one packet, and the sink the reader emits into (file order).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>

namespace sockowner::capture {

// One line for a human, naming the file and, for damage, the byte offset:
// "cap.pcapng: truncated block at byte 1234 (block length 2048, 100 bytes left)".
struct CaptureError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A pcapng section's byte order; every block of the section is in it.
enum class ByteOrder : std::uint8_t { little, big };

// Block types (pcapng draft; 0x80000001 is Apple's, in the "local use" range).
inline constexpr std::uint32_t kBlockShb = 0x0A0D0D0A;
inline constexpr std::uint32_t kBlockIdb = 1;
inline constexpr std::uint32_t kBlockPacketObsolete = 2;
inline constexpr std::uint32_t kBlockSpb = 3;
inline constexpr std::uint32_t kBlockEpb = 6;
inline constexpr std::uint32_t kBlockDarwinProcess = 0x80000001;

// Option codes used here.
inline constexpr std::uint16_t kOptEnd = 0;
inline constexpr std::uint16_t kOptComment = 1;
inline constexpr std::uint16_t kOptShbUserAppl = 4;
inline constexpr std::uint16_t kOptIfTsresol = 9;
inline constexpr std::uint16_t kOptIfTsoffset = 14;
inline constexpr std::uint16_t kOptEpbProcessThread = 8;  // u32 pid, u32 tid (pcapng draft)
inline constexpr std::uint16_t kOptDarwinProcessName = 2;  // in a Darwin process block
inline constexpr std::uint16_t kOptEpbDarwinProcess = 0x8001;           // index of a Darwin process block
inline constexpr std::uint16_t kOptEpbDarwinEffectiveProcess = 0x8003;  // the same, for the effective process

// Limits against hostile files: no real block or packet comes near them, and each
// bounds the memory one input can make the reader take.
inline constexpr std::uint32_t kMaxBlockLength = 128u << 20;
inline constexpr std::uint32_t kMaxCaptureLength = 16u << 20;

struct Packet {
    std::uint32_t interface_id = 0;  // within its section
    std::uint16_t linktype = 0;      // the interface's LINKTYPE_ value
    // Wall clock, ns since the epoch, if_tsresol and if_tsoffset applied; saturates
    // at the int64 range for absurd timestamps.
    std::int64_t time_ns = 0;
    // The timestamp as the block had it, to be written back unchanged (pcap input: in
    // the resolution of the synthesized IDB, µs or ns).
    std::uint32_t ts_high = 0, ts_low = 0;
    std::uint32_t orig_len = 0;
    std::span<const std::uint8_t> data;  // the captured bytes
    // The EPB's options as they were (section byte order, each padded to 4 bytes),
    // without opt_endofopt; empty when none (always for pcap input).
    std::span<const std::uint8_t> options;
};

// What read_capture() emits, in file order. Spans point into the reader's buffer:
// valid only during the call.
class CaptureSink {
public:
    virtual ~CaptureSink() = default;
    // A section header block, raw (pcap input: a synthesized little-endian one).
    virtual void section(ByteOrder order, std::span<const std::uint8_t> shb) = 0;
    // Any other block (IDB, NRB, ISB, DSB, Darwin process, custom, unknown), raw, to
    // copy as is (pcap input: the synthesized IDB).
    virtual void block(std::span<const std::uint8_t> raw) = 0;
    // An EPB, an obsolete packet block (type 2) or a pcap record.
    virtual void packet(const Packet& p) = 0;
    // A simple packet block: no timestamp, so nobody to attribute it to; copied as is.
    virtual void unattributable(std::span<const std::uint8_t> raw) { block(raw); }
    // A read of the input was interrupted by a signal (EINTR; it is retried after
    // this returns): a sink that stops on a signal throws here, so that a read waiting
    // on a quiet pipe does not hold it.
    virtual void interrupted() {}
};

}  // namespace sockowner::capture
