#include "procfs_parse.hpp"

#include <charconv>
#include <cstring>

namespace sockowner::procfs {

const NetFile kNetFiles[8] = {
    {"tcp", Proto::tcp, 4},   {"tcp6", Proto::tcp, 6},   {"udp", Proto::udp, 4},      {"udp6", Proto::udp, 6},
    {"icmp", Proto::icmp, 4}, {"icmp6", Proto::icmpv6, 6}, {"raw", Proto::raw, 4}, {"raw6", Proto::raw, 6},
};

namespace {

std::string_view next_field(std::string_view& s) {
    std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        s = {};
        return {};
    }
    std::size_t e = s.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = s.size();
    std::string_view f = s.substr(b, e - b);
    s.remove_prefix(e);
    return f;
}

template <typename T>
bool to_num(std::string_view f, T& out, int base = 10) {
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), out, base);
    return !f.empty() && ec == std::errc{} && end == f.data() + f.size();
}

// "0100007F:1F90" (IPv4) or 32 hex digits + ":PORT" (IPv6). The kernel prints each
// 32-bit word of the address in host byte order.
bool parse_hex_endpoint(std::string_view f, Endpoint& out) {
    auto colon = f.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view addr = f.substr(0, colon), port = f.substr(colon + 1);
    std::uint16_t p;
    if (!to_num(port, p, 16)) return false;
    if (addr.size() != 8 && addr.size() != 32) return false;
    std::uint8_t bytes[16];
    for (std::size_t w = 0; w < addr.size() / 8; ++w) {
        std::uint32_t word;
        if (!to_num(addr.substr(w * 8, 8), word, 16)) return false;
        std::memcpy(bytes + 4 * w, &word, 4);
    }
    if (addr.size() == 8) {
        std::uint32_t v4;
        std::memcpy(&v4, bytes, 4);
        out.addr = IpAddr::v4(v4);
    } else {
        out.addr = IpAddr::v6(bytes);
    }
    out.port = p;
    return true;
}

std::string_view line_value(std::string_view text, std::string_view key) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        if (line.starts_with(key)) return line.substr(key.size());
        pos = end + 1;
    }
    return {};
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::vector<NetEntry> parse_net(std::string_view text, std::size_t* bad_lines) {
    std::vector<NetEntry> out;
    std::size_t bad = 0, pos = text.find('\n');  // the first line is the header
    while (pos != std::string_view::npos && pos + 1 < text.size()) {
        std::size_t end = text.find('\n', pos + 1);
        std::string_view line = text.substr(pos + 1, (end == std::string_view::npos ? text.size() : end) - pos - 1);
        pos = end;
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        std::string_view f[10];
        for (auto& x : f) x = next_field(line);
        NetEntry e;
        if (!f[0].ends_with(':') || !parse_hex_endpoint(f[1], e.local) || !parse_hex_endpoint(f[2], e.remote) ||
            !to_num(f[3], e.state, 16) || !to_num(f[7], e.uid) || !to_num(f[9], e.inode)) {
            ++bad;
            continue;
        }
        out.push_back(e);
    }
    if (bad_lines) *bad_lines = bad;
    return out;
}

std::optional<Stat> parse_stat(std::string_view text) {
    // pid (comm) state ppid ...: comm is whatever lies between the first '(' and the
    // last ')', since a process may name itself ") 1 2 3".
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
    Stat s;
    if (!to_num(text.substr(0, open > 0 ? open - 1 : 0), s.pid)) return std::nullopt;
    s.comm = std::string(text.substr(open + 1, close - open - 1));
    std::string_view rest = text.substr(close + 1);
    // Fields after comm, numbered from 3 (state) as in proc(5); starttime is field 22.
    std::string_view state = next_field(rest);
    if (state.size() != 1) return std::nullopt;
    s.state = state[0];
    if (!to_num(next_field(rest), s.ppid)) return std::nullopt;
    for (int field = 5; field < 22; ++field) next_field(rest);
    if (!to_num(next_field(rest), s.start_ticks)) return std::nullopt;
    return s;
}

std::optional<Status> parse_status(std::string_view text) {
    Status s;
    std::string_view tgid = line_value(text, "Tgid:"), uid = line_value(text, "Uid:"),
                     gid = line_value(text, "Gid:");
    next_field(uid);  // real; the second value is the effective id
    next_field(gid);
    if (!to_num(next_field(tgid), s.tgid) || !to_num(next_field(uid), s.uid) || !to_num(next_field(gid), s.gid))
        return std::nullopt;
    return s;
}

std::string parse_cmdline(std::string_view raw) {
    while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
    std::string out(raw);
    for (auto& c : out)
        if (c == '\0') c = ' ';
    return out;
}

std::string parse_cgroup(std::string_view text) {
    std::string_view v2, systemd, first;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        // hierarchy-ID:controllers:path
        auto c1 = line.find(':');
        auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        std::string_view path = line.substr(c2 + 1), controllers = line.substr(c1 + 1, c2 - c1 - 1);
        if (first.empty()) first = path;
        if (line.substr(0, c1) == "0" && controllers.empty()) v2 = path;
        if (controllers == "name=systemd") systemd = path;
    }
    // On hybrid hosts the v2 hierarchy may be unused ("/"): the systemd one is richer.
    if (!v2.empty() && v2 != "/") return std::string(v2);
    if (!systemd.empty()) return std::string(systemd);
    if (!v2.empty()) return std::string(v2);
    return std::string(first);
}

std::string container_id(std::string_view path) {
    // Only where a container runtime (root) puts its containers: a user's delegated
    // subtree (/user.slice/...) may name its own scopes anything, docker-<id> included.
    static constexpr std::string_view kRoots[] = {
        "/docker/",        "/system.slice/docker-", "/system.slice/containerd.service/", "/system.slice/crio-",
        "/kubepods/",      "/kubepods.slice/",      "/machine.slice/libpod-",
    };
    bool trusted = false;
    for (auto root : kRoots) trusted |= path.starts_with(root);
    if (!trusted) return {};
    // Walk the components from the end: the innermost container wins.
    while (!path.empty()) {
        auto slash = path.rfind('/');
        std::string_view comp = path.substr(slash == std::string_view::npos ? 0 : slash + 1);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
        if (comp.ends_with(".scope")) comp.remove_suffix(6);
        for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"})
            if (comp.starts_with(prefix)) comp.remove_prefix(prefix.size());
        if (is_hex64(comp)) return std::string(comp);
    }
    return {};
}

std::optional<std::uint64_t> parse_inode_link(std::string_view link, std::string_view prefix) {
    if (!link.starts_with(prefix) || link.size() < prefix.size() + 3) return std::nullopt;
    link.remove_prefix(prefix.size());
    if (link.front() != ':' || link[1] != '[' || link.back() != ']') return std::nullopt;
    std::uint64_t v;
    if (!to_num(link.substr(2, link.size() - 3), v)) return std::nullopt;
    return v;
}

bool proc_hides_other_users(std::string_view mounts, std::string_view mount_point) {
    bool hides = false;
    while (!mounts.empty()) {  // the last mount at the point wins
        auto nl = mounts.find('\n');
        std::string_view line = mounts.substr(0, nl);
        mounts = nl == std::string_view::npos ? std::string_view{} : mounts.substr(nl + 1);
        std::string_view f[4];
        for (auto& field : f) {
            auto sp = line.find(' ');
            field = line.substr(0, sp);
            line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        }
        if (f[1] != mount_point || f[2] != "proc") continue;
        hides = false;
        for (std::string_view opts = f[3]; !opts.empty();) {
            auto comma = opts.find(',');
            std::string_view o = opts.substr(0, comma);
            opts = comma == std::string_view::npos ? std::string_view{} : opts.substr(comma + 1);
            if (o.starts_with("hidepid=")) hides = o != "hidepid=0" && o != "hidepid=off";
        }
    }
    return hides;
}

}  // namespace sockowner::procfs
