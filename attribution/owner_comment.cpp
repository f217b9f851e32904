#include "owner_comment.hpp"

#include "owner_labels.hpp"
#include "text_escape.hpp"

#include <charconv>

namespace sockowner::attribution {

namespace {

constexpr How kHows[] = {How::exact, How::local, How::wildcard, How::conversation, How::kernel, How::annotation};

std::optional<How> how_of(std::string_view name) {
    for (How h : kHows)
        if (how_name(h) == name) return h;
    return std::nullopt;
}

template <class Int>
std::optional<Int> number(std::string_view s) {
    Int v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

void append_line(std::string& out, std::string_view side, std::string_view key, std::string_view value) {
    if (value.empty()) return;
    out.append("\n").append(side).append(".").append(key).append(": ").append(escape_text(value));
}

void append_side(std::string& out, std::string_view side, const CommentSide& s) {
    if (s.how == How::unknown) return;
    if (s.process) {
        const ProcessInfo& p = *s.process;
        append_line(out, side, "pid", std::to_string(p.pid));
        append_line(out, side, "name", p.comm);
        append_line(out, side, "cmdline", p.cmdline);
        append_line(out, side, "exe", p.exe);
        append_line(out, side, "ppid", std::to_string(p.ppid));
        append_line(out, side, "uid", std::to_string(p.uid));
        append_line(out, side, "user", p.user);
        append_line(out, side, "container", p.container);
        append_line(out, side, "cgroup", p.cgroup);
    } else if (s.how == How::kernel) {
        append_line(out, side, "name", kKernelName);
    }
    append_line(out, side, "source", s.how == How::kernel ? std::string_view("kernel") : std::string_view(s.source));
    append_line(out, side, "match", how_name(s.how));
}

// Calls fn(key, value) for each "key: value" line of `text`.
template <class Fn>
void each_line(std::string_view text, Fn fn) {
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t colon = line.find(": ");
        if (colon == std::string_view::npos) continue;
        fn(line.substr(0, colon), line.substr(colon + 2));
    }
}

// A process's fact from "pid", "name", ...; false when the key is not one.
bool set_process_field(ProcessInfo& p, std::string_view key, std::string_view value) {
    if (key == "pid") {
        if (auto v = number<std::int32_t>(value); v && *v > 0) p.pid = *v;
    } else if (key == "ppid") {
        if (auto v = number<std::int32_t>(value); v && *v >= 0) p.ppid = *v;
    } else if (key == "uid") {
        if (auto v = number<std::uint32_t>(value)) p.uid = *v;
    } else if (key == "name") {
        p.comm = unescape_text(value);
    } else if (key == "cmdline") {
        p.cmdline = unescape_text(value);
    } else if (key == "exe") {
        p.exe = unescape_text(value);
    } else if (key == "user") {
        p.user = unescape_text(value);
    } else if (key == "container") {
        p.container = unescape_text(value);
    } else if (key == "cgroup") {
        p.cgroup = unescape_text(value);
    } else {
        return false;
    }
    return true;
}

}  // namespace

std::string owner_comment_label(const CommentSide& s) {
    if (s.how == How::kernel) return "kernel";
    if (!s.process) return "?";
    return escape_text(s.process->comm) + " " + std::to_string(s.process->pid);
}

std::string owner_comment_lines(std::string_view side, const CommentSide& s) {
    std::string out;
    append_side(out, side, s);
    return out;
}

std::string format_owner_comment(std::string_view src_label, std::string_view src_lines, std::string_view dst_label,
                                 std::string_view dst_lines) {
    std::string out;
    out.reserve(kCommentTitle.size() + src_label.size() + dst_label.size() + src_lines.size() + dst_lines.size() + 5);
    out.append(kCommentTitle).append(src_label).append(" \u2192 ").append(dst_label);
    return out.append(src_lines).append(dst_lines);
}

std::string format_owner_comment(const CommentSide& src, const CommentSide& dst) {
    return format_owner_comment(owner_comment_label(src), owner_comment_lines("src", src), owner_comment_label(dst),
                                owner_comment_lines("dst", dst));
}

std::optional<CommentOwners> parse_owner_comment(std::string_view text) {
    if (!text.starts_with(kCommentTitle)) return std::nullopt;
    CommentOwners out;
    ProcessInfo proc[2];
    bool named[2] = {false, false};
    CommentSide* sides[2] = {&out.src, &out.dst};
    each_line(text, [&](std::string_view key, std::string_view value) {
        int side = key.starts_with("src.") ? 0 : key.starts_with("dst.") ? 1 : -1;
        if (side < 0) return;
        key.remove_prefix(4);
        CommentSide& s = *sides[side];
        if (key == "match") {
            if (auto h = how_of(value)) s.how = *h;
        } else if (key == "source") {
            s.source = unescape_text(value);
        } else if (set_process_field(proc[side], key, value)) {
            named[side] = true;
        }
    });
    for (int i = 0; i < 2; ++i) {
        CommentSide& s = *sides[i];
        if (s.how == How::kernel) {
            s.source = "kernel";
        } else if (s.how != How::unknown) {
            if (named[i] && proc[i].pid > 0)
                s.process = proc[i];
            else
                s = CommentSide{};  // a process side that names no process: unknown
        }
    }
    return out;
}

std::optional<ProcessInfo> parse_ptcpdump_comments(std::span<const std::string_view> comments) {
    ProcessInfo p;
    for (std::string_view c : comments) {
        each_line(c, [&](std::string_view key, std::string_view value) {
            if (key == "PID") {
                if (auto v = number<std::int32_t>(value); v && *v > 0) p.pid = *v;
            } else if (key == "Cmd") {
                p.exe = std::string(value);
                std::size_t slash = value.rfind('/');
                p.comm = std::string(slash == std::string_view::npos ? value : value.substr(slash + 1));
            } else if (key == "Args") {
                p.cmdline = std::string(value);
            } else if (key == "ParentPID") {
                if (auto v = number<std::int32_t>(value); v && *v >= 0) p.ppid = *v;
            } else if (key == "UserId") {
                if (auto v = number<std::uint32_t>(value)) p.uid = *v;
            } else if (key == "GroupId") {
                if (auto v = number<std::uint32_t>(value)) p.gid = *v;
            } else if (key == "ContainerId") {
                p.container = std::string(value);
            }
        });
    }
    if (p.pid <= 0) return std::nullopt;
    return p;
}

std::optional<CommentOwners> read_annotations(std::span<const std::string_view> comments, Direction direction) {
    for (std::string_view c : comments)
        if (auto owners = parse_owner_comment(c)) return owners;  // "? → ?" too: looked up, nobody known
    auto p = parse_ptcpdump_comments(comments);
    if (!p) return std::nullopt;
    CommentOwners out;
    CommentSide side{How::annotation, "ptcpdump", *p};
    if (direction == Direction::outbound)
        out.src = side;
    else if (direction == Direction::inbound)
        out.dst = side;
    else
        out.either = *p;
    return out;
}

}  // namespace sockowner::attribution
