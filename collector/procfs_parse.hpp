// Pure parsers for the text of /proc files. No file access here: see procfs_reader.
#pragma once

#include "types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockowner::procfs {

// One row of /proc/net/{tcp,tcp6,udp,udp6,icmp,icmp6,raw,raw6}.
struct NetEntry {
    Endpoint local, remote;
    int state = 0;
    std::uint32_t uid = 0;
    std::uint64_t inode = 0;  // 0: no owning file (TIME_WAIT, orphans)
};

// Parses a whole file; malformed lines are skipped and counted in `bad_lines`.
std::vector<NetEntry> parse_net(std::string_view text, std::size_t* bad_lines = nullptr);

// Which protocol and family a /proc/net file describes ("tcp6" → tcp, 6).
struct NetFile {
    const char* name;
    Proto proto;
    int family;
};
extern const NetFile kNetFiles[8];

inline constexpr int kTcpListen = 0x0A;
inline constexpr int kTcpClose = 0x07;

struct Stat {
    std::int32_t pid = 0, ppid = 0;
    std::string comm;
    char state = '?';
    std::uint64_t start_ticks = 0;
};
// /proc/PID/stat: the comm field may hold spaces and ')' characters.
std::optional<Stat> parse_stat(std::string_view text);

struct Status {
    std::int32_t tgid = 0;
    std::uint32_t uid = 0, gid = 0;  // effective ids, as ps shows them
};
std::optional<Status> parse_status(std::string_view text);

// NUL-separated arguments joined by spaces; a trailing NUL is dropped.
std::string parse_cmdline(std::string_view raw);

// The process's cgroup path: the cgroup-v2 line ("0::/...") when present, otherwise
// the name=systemd line, otherwise the first line's path.
std::string parse_cgroup(std::string_view text);

// A container id (64 hex digits) from docker, containerd, CRI-O, podman and
// Kubernetes cgroup paths, under the cgroups those runtimes (root) manage; empty
// elsewhere: a user's own subtree can name a scope like a container (rootless podman's
// containers are there too: their cgroup path is recorded, not an id).
std::string container_id(std::string_view cgroup_path);

// Whether the proc filesystem mounted at `mount_point` (in /proc/mounts' text) hides
// other users' processes (hidepid=1, 2, invisible, noaccess, ptraceable).
bool proc_hides_other_users(std::string_view mounts, std::string_view mount_point);

// "socket:[12345]" → 12345; "net:[4026531840]" → 4026531840 (with prefix "net").
std::optional<std::uint64_t> parse_inode_link(std::string_view link, std::string_view prefix);

}  // namespace sockowner::procfs
