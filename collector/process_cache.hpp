// Process details by (pid, start time), read from /proc/PID once per process.
#pragma once

#include "procfs_reader.hpp"
#include "types.hpp"

#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace sockowner {

struct ProcessCacheStats {
    std::uint64_t hits = 0, misses = 0, failures = 0;
};

// What ProcessCache reads from /proc besides stat, cmdline and exe: a kernel event
// carries the ids itself, and names the cgroup by an id the caller may resolve
// without /proc.
struct ProcessCacheNeeds {
    bool ids = true;     // uid, gid and user name (/proc/PID/status)
    bool cgroup = true;  // cgroup and container id (/proc/PID/cgroup)
};

class ProcessCache {
public:
    // boot_offset: wall-clock time of boot (see boot_to_wall_offset()).
    ProcessCache(const procfs::Reader& proc, TimeNs boot_offset, bool with_cmdline = true);

    using Needs = ProcessCacheNeeds;

    // Current details of a live process; nullopt if it has gone (or is hidden). What
    // `need` leaves out may be missing (uid 0, no cgroup) unless an earlier call read it.
    std::optional<ProcessInfo> get(std::int32_t pid, Needs need = {});
    // Details of the process identified by pid + start ticks; when it has exited
    // already, whatever was known (comm at least) is filled in by the caller.
    std::optional<ProcessInfo> get(const ProcessKey& key, Needs need = {});
    // The same, read from /proc again (the process exec()ed since it was cached).
    std::optional<ProcessInfo> reread(const ProcessKey& key, Needs need = {});
    // The process exited (its exit event): its pid may name another process next.
    void forget(const ProcessKey& key);
    // What is cached for `pid`, without reading /proc (it may be another process with
    // that pid: compare its start), or nullptr.
    const ProcessInfo* cached(std::int32_t pid) const;

    // Forgets processes not in `live_pids`; returns those that exited (including
    // those whose pid was reused since).
    std::vector<ProcessKey> sweep(const std::unordered_set<std::int32_t>& live_pids);

    TimeNs ticks_to_wall(std::uint64_t ticks) const;
    std::string user_name(std::uint32_t uid);  // cached getpwuid; the number if unknown
    bool with_cmdline() const { return with_cmdline_; }
    void set_boot_offset(TimeNs offset) { boot_offset_ = offset; }
    const ProcessCacheStats& stats() const { return stats_; }
    std::size_t size() const { return cache_.size(); }

private:
    struct Entry {
        ProcessInfo p;
        bool ids = false, cgroup = false;  // read from /proc already
    };
    void complete(const std::string& dir, Entry& e, Needs need);

    const procfs::Reader& proc_;
    TimeNs boot_offset_;
    bool with_cmdline_;
    long ticks_per_sec_;
    std::unordered_map<std::int32_t, Entry> cache_;  // by pid; start ticks checked on use
    std::vector<ProcessKey> replaced_;
    std::unordered_map<std::uint32_t, std::string> users_;
    ProcessCacheStats stats_;
};

}  // namespace sockowner
