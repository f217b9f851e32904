#include "cgroup_paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace sockowner {

std::optional<std::string> CgroupPaths::path_of(std::uint64_t id, TimeNs now, TimeNs min_rescan) {
    if (root_.empty() || id == 0) return std::nullopt;
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
    if (scanned_ && now - last_rescan_ < min_rescan) return std::nullopt;
    last_rescan_ = now;
    rescan();
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
    return std::nullopt;
}

namespace {

// Every directory below `dir` (path `rel` from the root): inode → path. Cgroups vanish
// while we walk: what cannot be opened is skipped, not an error.
void walk(int dirfd, const std::string& rel, std::unordered_map<std::uint64_t, std::string>& out, int depth) {
    DIR* d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || !std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        std::string path = rel + "/" + e->d_name;
        if (fstat(fd, &st) == 0) out.emplace(st.st_ino, path);
        if (depth < 64) walk(fd, path, out, depth + 1);
        else close(fd);
    }
    closedir(d);
}

}  // namespace

void CgroupPaths::rescan() {
    scanned_ = true;
    ++rescans_;
    by_id_.clear();
    int fd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (fstat(fd, &st) == 0) by_id_.emplace(st.st_ino, "/");
    walk(fd, "", by_id_, 0);
}

}  // namespace sockowner
