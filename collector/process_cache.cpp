#include "process_cache.hpp"

#include "procfs_parse.hpp"

#include <pwd.h>
#include <unistd.h>

namespace sockowner {

ProcessCache::ProcessCache(const procfs::Reader& proc, TimeNs boot_offset, bool with_cmdline)
    : proc_(proc), boot_offset_(boot_offset), with_cmdline_(with_cmdline), ticks_per_sec_(sysconf(_SC_CLK_TCK)) {
    if (ticks_per_sec_ <= 0) ticks_per_sec_ = 100;
}

TimeNs ProcessCache::ticks_to_wall(std::uint64_t ticks) const {
    return boot_offset_ + TimeNs(ticks) * (1'000'000'000 / ticks_per_sec_);
}

std::string ProcessCache::user_name(std::uint32_t uid) {
    if (auto it = users_.find(uid); it != users_.end()) return it->second;
    passwd pw{}, *res = nullptr;
    char buf[4096];
    std::string name = (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res) ? res->pw_name : std::to_string(uid);
    return users_[uid] = name;
}

std::optional<ProcessInfo> ProcessCache::get(std::int32_t pid, Needs need) {
    const std::string dir = std::to_string(pid);
    auto stat_text = proc_.read_record(dir + "/stat");
    auto stat = stat_text ? procfs::parse_stat(*stat_text) : std::nullopt;
    if (!stat) {
        ++stats_.failures;
        return std::nullopt;
    }
    if (auto it = cache_.find(pid); it != cache_.end()) {
        if (it->second.p.start_ticks == stat->start_ticks) {
            ++stats_.hits;
            complete(dir, it->second, need);
            return it->second.p;
        }
        replaced_.push_back({pid, it->second.p.start_ticks});  // the pid was reused
    }
    ++stats_.misses;
    Entry e;
    ProcessInfo& p = e.p;
    p.pid = pid;
    p.start_ticks = stat->start_ticks;
    p.start_time = ticks_to_wall(stat->start_ticks);
    p.ppid = stat->ppid;
    p.comm = stat->comm;
    // A zombie (gone, not yet reaped; or a leader whose threads live on) has no memory
    // map left: its cmdline is empty and its exe unreadable, so neither is read. Short-
    // lived processes are mostly found in that state.
    const bool zombie = stat->state == 'Z' || stat->state == 'X';
    if (with_cmdline_ && !zombie)
        if (auto raw = proc_.read_record(dir + "/cmdline")) p.cmdline = procfs::parse_cmdline(*raw);
    if (!zombie)
        if (auto exe = proc_.readlink(dir + "/exe")) p.exe = *exe;  // "... (deleted)" kept: it tells
    complete(dir, e, need);
    return (cache_[pid] = std::move(e)).p;
}

// Reads what `need` asks for and `e` lacks. What cannot be read stays empty, and is
// not asked for again.
void ProcessCache::complete(const std::string& dir, Entry& e, Needs need) {
    if (need.ids && !e.ids) {
        e.ids = true;
        if (auto text = proc_.read_record(dir + "/status"))
            if (auto st = procfs::parse_status(*text)) {
                e.p.uid = st->uid;
                e.p.gid = st->gid;
                e.p.user = user_name(st->uid);
            }
    }
    if (need.cgroup && !e.cgroup) {
        e.cgroup = true;
        if (auto text = proc_.read_record(dir + "/cgroup")) {
            e.p.cgroup = procfs::parse_cgroup(*text);
            e.p.container = procfs::container_id(e.p.cgroup);
        }
    }
}

std::optional<ProcessInfo> ProcessCache::get(const ProcessKey& key, Needs need) {
    auto p = get(key.pid, need);
    if (p && p->start_ticks == key.start_ticks) return p;
    return std::nullopt;
}

std::optional<ProcessInfo> ProcessCache::reread(const ProcessKey& key, Needs need) {
    cache_.erase(key.pid);
    return get(key, need);
}

void ProcessCache::forget(const ProcessKey& key) {
    if (auto it = cache_.find(key.pid); it != cache_.end() && it->second.p.start_ticks == key.start_ticks)
        cache_.erase(it);
}

const ProcessInfo* ProcessCache::cached(std::int32_t pid) const {
    auto it = cache_.find(pid);
    return it == cache_.end() ? nullptr : &it->second.p;
}

std::vector<ProcessKey> ProcessCache::sweep(const std::unordered_set<std::int32_t>& live_pids) {
    std::vector<ProcessKey> gone;
    gone.swap(replaced_);
    for (auto it = cache_.begin(); it != cache_.end();) {
        if (!live_pids.count(it->first)) {
            gone.push_back({it->first, it->second.p.start_ticks});
            it = cache_.erase(it);
        } else {
            ++it;
        }
    }
    return gone;
}

}  // namespace sockowner
