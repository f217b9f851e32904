// Writes a pcapng file: blocks copied as they were read, Darwin process information
// blocks, and packets as enhanced packet blocks with options added (a comment, the
// Darwin process indexes, the draft's process and thread ids). Buffered (1 MiB); from
// the first full buffer on, buffers are written by a thread of their own
// (BackgroundWriter) while the next is filled. Every write error, ENOSPC included, is
// a CaptureError naming the file, thrown by a later call or at the latest by finish().
//
// Blocks are written in the byte order of the last section() (copied blocks are
// taken to be in it already: pass what the reader read, in its order). The
// caller owns `fd`: it calls finish(), then closes it and checks close(2), which some
// file systems (NFS) use to report write errors.
#pragma once

#include "background_writer.hpp"
#include "capture_types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sockowner::capture {

class PcapngWriter {
public:
    static constexpr std::size_t kBufferSize = 1u << 20;

    PcapngWriter(int fd, std::string name_for_errors);
    // Writes nothing more: whatever finish() did not flush is lost (the destructor may
    // run because writing failed); stops the writing thread.
    ~PcapngWriter() = default;
    PcapngWriter(const PcapngWriter&) = delete;
    PcapngWriter& operator=(const PcapngWriter&) = delete;

    // Copies a section header block; later blocks are written in `order`.
    void section(ByteOrder order, std::span<const std::uint8_t> shb);
    // Copies any other block as is; an input's own Darwin process blocks are counted,
    // so that the indexes darwin_process() returns stay right.
    void block(std::span<const std::uint8_t> raw);

    // Writes Apple's Darwin process information block (type 0x80000001: u32 pid,
    // option 2 = the process name, UTF-8, any length, always present) and returns its
    // index, which Extra::darwin_process refers to. Wireshark numbers these blocks
    // across the whole file, not per section (checked with 4.6.9: a packet of the
    // second section pointing at 0 gets the first section's block), so indexes never
    // restart and an index stays valid for the rest of the file.
    std::uint32_t darwin_process(std::uint32_t pid, std::string_view name);

    struct Extra {
        // opt_comment (1), after the packet's own options (its comments are kept);
        // cut to 65535 bytes at a UTF-8 character boundary.
        std::optional<std::string_view> comment;
        // Darwin options 0x8001 (process) and 0x8003 (effective process), both this
        // index: Wireshark 4.6 shows frame.darwin.process_info.pid and .pname from them
        // (never .epid/.epname, which 4.6.9 registers but does not fill); 4.0 and 4.4
        // skip them and the blocks silently. Not written in big-endian sections: 4.6.9
        // reads their values little-endian whatever the section's order.
        std::optional<std::uint32_t> darwin_process;
        // epb_processid_threadid (option 8, pcapng draft): u32 pid, u32 tid; the tid is
        // the pid when not given; nothing without a pid. Wireshark 4.0 to 4.6 accept it
        // silently and show it nowhere in the frame (4.6's pcapng file view decodes it).
        std::optional<std::uint32_t> pid, tid;
    };
    // Writes `p` as an enhanced packet block (an obsolete packet block or a pcap record
    // becomes one): its interface, timestamp words, lengths, data and options, then
    // the extras and opt_endofopt. p.options must be whole options in the order of
    // the current section (as the reader hands them over).
    void packet(const Packet& p, const Extra& extra);

    // Writes what is buffered and waits for every write; throws on a write error.
    void finish();

    // Bytes written so far, the buffered ones included.
    std::uint64_t bytes_written() const { return handed_over_ + buf_.used; }

private:
    std::uint8_t* reserve(std::size_t n);
    void copy(std::span<const std::uint8_t> raw);
    void hand_over(std::size_t min_capacity);
    void need_section(const char* what) const;

    int fd_;
    std::string name_;
    WriteBuffer buf_;  // every byte is written before it is handed over
    std::unique_ptr<BackgroundWriter> background_;  // from the first full buffer on
    std::uint64_t handed_over_ = 0;
    ByteOrder order_ = ByteOrder::little;
    bool in_section_ = false;
    std::uint32_t darwin_blocks_ = 0;  // in the file so far
};

}  // namespace sockowner::capture
