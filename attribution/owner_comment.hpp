// Owners written into a capture as packet comments, and read back from them: the
// text `sockowner annotate` writes (stable, documented, greppable), and ptcpdump's.
//
// sockowner's comment: a title line, then one "side.key: value" line per known fact,
// every value escaped as escape_text() does (no raw control character or line break,
// so no value can forge a line), keys in this order, empty values left out:
//
//   sockowner: curl 4242 → python3 17
//   src.pid: 4242
//   src.name: curl
//   src.cmdline: curl http://127.0.0.1:8000/
//   src.exe: /usr/bin/curl
//   src.ppid: 4100
//   src.uid: 1000
//   src.user: alice
//   src.container: 0123456789ab...
//   src.cgroup: /user.slice/...
//   src.source: ebpf
//   src.match: exact
//   dst.pid: 17
//   ...
//
// The kernel's side: "src.name: [kernel]" and "src.match: kernel"; an unknown side has
// no lines ("?" in the title). Readers ignore keys they do not know.
//
// ptcpdump writes one or more comments per packet ("PID: 4242\nCmd: /usr/bin/curl\n
// Args: curl http://x/", "UserId: 1000\nGroupId: 1000", "ParentPID: ...",
// "ContainerId: ..."): the process on this host that sent or received the packet,
// without saying which end it is.
#pragma once

#include "side_owner.hpp"
#include "types.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sockowner::attribution {

inline constexpr std::string_view kCommentTitle = "sockowner: ";

// One end of a packet as a comment names it.
struct CommentSide {
    How how = How::unknown;
    std::string source;                  // "ebpf", "iterator", "procfs", "kernel"; empty when not said
    std::optional<ProcessInfo> process;  // the process, when a process owns it
    friend bool operator==(const CommentSide&, const CommentSide&) = default;
};

struct CommentOwners {
    CommentSide src, dst;
    // ptcpdump's: a process at one end or the other.
    std::optional<ProcessInfo> either;
    bool any() const { return src.how != How::unknown || dst.how != How::unknown || either; }
};

// The comment for a packet's two ends; the titles' labels are "curl 4242", "kernel", "?".
std::string format_owner_comment(const CommentSide& src, const CommentSide& dst);
// The same from its parts, for a caller that keeps each end's (many packets, few ends):
// an end's title label, and its lines ("\nsrc.pid: 4242" ...) as `side` ("src", "dst").
std::string owner_comment_label(const CommentSide& s);
std::string owner_comment_lines(std::string_view side, const CommentSide& s);
std::string format_owner_comment(std::string_view src_label, std::string_view src_lines, std::string_view dst_label,
                                 std::string_view dst_lines);

// sockowner's comment read back; nullopt when `text` is not one.
std::optional<CommentOwners> parse_owner_comment(std::string_view text);

// ptcpdump's comments of one packet, read together; nullopt when they name no process.
std::optional<ProcessInfo> parse_ptcpdump_comments(std::span<const std::string_view> comments);

// The packet's direction as its capture recorded it (pcapng epb_flags), if at all.
enum class Direction : std::uint8_t { unknown, inbound, outbound };

// The owners a packet's comments name: sockowner's comment when there is one (both
// ends may be unknown: the packet was looked up and nobody found), else
// ptcpdump's process, which is the sender of an outbound packet and the receiver of
// an inbound one (match "annotation", source "ptcpdump"), or either end when the
// direction was not recorded. nullopt when the comments name nobody.
std::optional<CommentOwners> read_annotations(std::span<const std::string_view> comments, Direction direction);

}  // namespace sockowner::attribution
