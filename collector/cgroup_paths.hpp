// Cgroup id → cgroup path, for processes the kernel named by their cgroup id
// (bpf_get_current_cgroup_id) that exited before /proc/PID/cgroup could be read.
// A cgroup-v2 id is the inode number of the cgroup's directory in cgroupfs.
#pragma once

#include "types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace sockowner {

class CgroupPaths {
public:
    // `root`: where cgroup v2 is mounted (empty: never resolves).
    explicit CgroupPaths(std::string root) : root_(std::move(root)) {}

    // The path as /proc/PID/cgroup shows it ("/" for the root, "/system.slice/x"),
    // or nothing when no cgroup has that id. An unknown id rescans the tree, at most
    // once per `min_rescan` (cgroups come and go with containers and services).
    std::optional<std::string> path_of(std::uint64_t id, TimeNs now, TimeNs min_rescan = 1'000'000'000);

    std::size_t size() const { return by_id_.size(); }
    std::uint64_t rescans() const { return rescans_; }

private:
    void rescan();

    std::string root_;
    std::unordered_map<std::uint64_t, std::string> by_id_;
    TimeNs last_rescan_ = 0;
    bool scanned_ = false;
    std::uint64_t rescans_ = 0;
};

}  // namespace sockowner
