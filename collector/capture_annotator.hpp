// The heart of `sockowner annotate`: a CaptureSink that copies a capture into a pcapng
// writer, adding to each packet whose owners the journal knows a comment naming both
// ends, Apple's process information (a Darwin process block per process, referred to
// by the packet's options) for its local process, and the pcapng draft's
// epb_processid_threadid. Owners are found as the Wireshark plugin finds them: the
// same Attributor, from the same library.
#pragma once

#include "attribution.hpp"
#include "capture_types.hpp"
#include "interned.hpp"
#include "owner_comment.hpp"
#include "pcapng_writer.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace sockowner::cli {

struct AnnotateFormats {
    bool comment = true;  // a packet comment naming both ends
    bool darwin = true;   // Apple's process information blocks and EPB options
    bool pid = true;      // epb_processid_threadid
};

struct AnnotateCounts {
    std::uint64_t packets = 0;    // packets copied
    std::uint64_t annotated = 0;  // with at least one end known
    std::uint64_t both = 0;       // with both ends known
    std::uint64_t skipped = 0;    // blocks without a timestamp (simple packet blocks), copied as is
    bool live = false;            // a live capture: the journal followed as it was written
};

class CaptureAnnotator final : public capture::CaptureSink {
public:
    CaptureAnnotator(attribution::JournalFollower& journal, attribution::AttributionOptions opt,
                     capture::PcapngWriter& out, AnnotateFormats formats);

    void section(capture::ByteOrder order, std::span<const std::uint8_t> shb) override;
    void block(std::span<const std::uint8_t> raw) override;
    void packet(const capture::Packet& p) override;
    void unattributable(std::span<const std::uint8_t> raw) override;
    void interrupted() override;

    const AnnotateCounts& counts() const { return counts_; }
    // The input is a pipe or a device, which may be a capture being made (dumpcap -w -):
    // when its first packet is from the last minute, the journal is followed as the
    // plugin follows it in a live capture (new rows read as they are written; a new
    // flow's packet waits up to live_wait for its socket's row).
    void may_be_live(bool may) { may_be_live_ = may; }
    // Called before each packet and when a read of the input is interrupted by a
    // signal: may throw to stop.
    void on_stop_check(std::function<void()> check) { stop_check_ = std::move(check); }

private:
    // What a packet's annotation depends on: each end's rule, process row and how the
    // collector learnt of its socket (one of a few strings the journal holds). Flows
    // of the same processes share it: the comment is rendered once per pair of owners.
    struct Key {
        attribution::How src_how, dst_how;
        std::int64_t src_process, dst_process;
        const char *src_source, *dst_source;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const;
    };
    struct Rendered {
        std::string comment;
        bool known = false;                        // an end is known
        std::optional<std::uint32_t> pid;          // the local process: the sender when a process sent it
        std::optional<std::uint32_t> darwin;       // its Darwin process block, once written
        std::string name;
    };

    // One end of a packet as its comment shows it, rendered once per end (few) rather
    // than once per pair of ends (many: every client with the server).
    struct EndKey {
        int side;  // 0 src, 1 dst
        attribution::How how;
        std::int64_t process;
        const char* source;
        friend bool operator==(const EndKey&, const EndKey&) = default;
    };
    struct EndKeyHash {
        std::size_t operator()(const EndKey& k) const;
    };
    struct End {
        std::string label, lines;  // the title's "curl 4242", the "src.key: value" lines
        bool known = false;
        std::optional<std::uint32_t> pid;  // when a process
        std::string name;
    };

    attribution::CommentSide comment_side(const attribution::SideOwner& o) const;
    const End& end(int side, const attribution::SideOwner& o, const char* source);
    Rendered& render(const attribution::FrameOwners& owners);
    std::uint32_t darwin_index(std::uint32_t pid, const std::string& name);
    attribution::FrameOwners owners(const attribution::PacketTuple& t, TimeNs at);

    attribution::JournalFollower& journal_;
    attribution::Attributor attributor_;
    attribution::FlowMemo<attribution::Repeat> recent_;  // flows' last owners: most packets take them
    capture::PcapngWriter& out_;
    AnnotateFormats formats_;
    AnnotateCounts counts_;
    attribution::Interned<Key, KeyHash> keys_;
    std::deque<Rendered> rendered_;  // by the key's number; never moved
    std::unordered_map<EndKey, End, EndKeyHash> ends_;
    // The last two flows' keys: a conversation's two directions take turns.
    Key last_key_[2]{};
    Rendered* last_[2] = {nullptr, nullptr};
    std::map<std::pair<std::uint32_t, std::string>, std::uint32_t> darwin_;  // (pid, name) → block index
    bool may_be_live_ = false, decided_ = false;  // decided_: by the first packet
    attribution::SystemWaiter waiter_;
    std::function<void()> stop_check_;
};

}  // namespace sockowner::cli
