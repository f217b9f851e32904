#include "ebpf_prereqs.hpp"

#include "log.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sockowner::ebpf {

namespace {

constexpr int kCapNetAdmin = 12, kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
constexpr long kBpfFsMagic = 0xcafe4a11;

std::string slurp(const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool is_bpffs(const std::string& path) {
    struct statfs st{};
    return statfs(path.c_str(), &st) == 0 && st.f_type == kBpfFsMagic;
}

bool has(std::uint64_t caps, int bit) { return (caps >> bit) & 1; }

}  // namespace

std::optional<std::uint64_t> parse_cap_eff(std::string_view status) {
    auto pos = status.find("CapEff:");
    if (pos == std::string_view::npos) return std::nullopt;
    auto rest = status.substr(pos + 7);
    auto b = rest.find_first_not_of(" \t");
    if (b == std::string_view::npos) return std::nullopt;
    rest = rest.substr(b);
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v, 16);
    if (ec != std::errc{} || end == rest.data()) return std::nullopt;
    return v;
}

std::string missing_capabilities(std::uint64_t caps) {
    if (has(caps, kCapSysAdmin)) return "";
    std::string missing;
    auto need = [&](int bit, const char* name) {
        if (!has(caps, bit)) missing += (missing.empty() ? "" : ", ") + std::string(name);
    };
    need(kCapBpf, "CAP_BPF");
    need(kCapPerfmon, "CAP_PERFMON");
    need(kCapNetAdmin, "CAP_NET_ADMIN");
    return missing.empty() ? "" : "missing " + missing;
}

std::optional<std::string> find_mount(std::string_view mounts, std::string_view fstype) {
    std::size_t pos = 0;
    while (pos < mounts.size()) {
        auto end = mounts.find('\n', pos);
        if (end == std::string_view::npos) end = mounts.size();
        std::string_view line = mounts.substr(pos, end - pos);
        pos = end + 1;
        // device mountpoint fstype options ...
        auto a = line.find(' ');
        auto b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        auto c = b == std::string_view::npos ? b : line.find(' ', b + 1);
        if (c == std::string_view::npos) continue;
        if (line.substr(b + 1, c - b - 1) == fstype) {
            // Octal escapes (\040 for a space) in mount points.
            std::string mp;
            std::string_view raw = line.substr(a + 1, b - a - 1);
            for (std::size_t i = 0; i < raw.size(); ++i) {
                if (raw[i] == '\\' && i + 3 < raw.size()) {
                    int v = 0;
                    auto [p, ec] = std::from_chars(raw.data() + i + 1, raw.data() + i + 4, v, 8);
                    if (ec == std::errc{} && p == raw.data() + i + 4) {
                        mp += char(v);
                        i += 3;
                        continue;
                    }
                }
                mp += raw[i];
            }
            return mp;
        }
    }
    return std::nullopt;
}

std::string prepare_host(const std::string& pin_dir, HostPaths& out) {
    auto caps = parse_cap_eff(slurp("/proc/self/status"));
    if (!caps) return "cannot read capabilities from /proc/self/status";
    if (auto missing = missing_capabilities(*caps); !missing.empty())
        return missing + (geteuid() == 0 ? "" : " (not root)");

    if (faccessat(AT_FDCWD, "/sys/kernel/btf/vmlinux", R_OK, AT_EACCESS) != 0)
        return "no BTF at /sys/kernel/btf/vmlinux (kernel built without CONFIG_DEBUG_INFO_BTF)";

    std::string mounts = slurp("/proc/mounts");
    auto cg = find_mount(mounts, "cgroup2");
    if (!cg) return "no cgroup v2 hierarchy mounted (the socket hooks attach to it)";
    out.cgroup2 = *cg;

    // bpffs for the pins: the pin directory's parent must be on one.
    std::string parent = pin_dir.substr(0, pin_dir.find_last_of('/'));
    if (parent.empty()) parent = "/";
    if (!is_bpffs(parent)) {
        if (parent == "/sys/fs/bpf" && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0) {
            SO_INFO("mounted bpffs at /sys/fs/bpf");
        } else {
            return "no bpffs at " + parent + " (mount -t bpf -o mode=0700 bpf " + parent + ")";
        }
    }
    // Tracepoints are found through tracefs.
    if (faccessat(AT_FDCWD, "/sys/kernel/tracing/events", F_OK, AT_EACCESS) != 0 &&
        faccessat(AT_FDCWD, "/sys/kernel/debug/tracing/events", F_OK, AT_EACCESS) != 0) {
        if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
            SO_INFO("mounted tracefs at /sys/kernel/tracing");
        else
            SO_WARN("no tracefs and cannot mount it (%s): accept, close and exec tracepoints unavailable",
                    std::strerror(errno));
    }
    return "";
}

}  // namespace sockowner::ebpf
