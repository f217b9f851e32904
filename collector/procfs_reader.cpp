#include "procfs_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace sockowner::procfs {

std::optional<std::string> Reader::read(const std::string& rel) const { return read_file(rel, false); }

std::optional<std::string> Reader::read_record(const std::string& rel) const { return read_file(rel, true); }

std::optional<std::string> Reader::read_file(const std::string& rel, bool one_record) const {
    int fd = ::open((root_ + "/" + rel).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            errno = e;
            return std::nullopt;  // e.g. ESRCH: the process exited while we read
        }
        if (n == 0) break;
        out.append(buf, std::size_t(n));
        if (one_record && std::size_t(n) < sizeof buf) break;  // all of it
    }
    ::close(fd);
    return out;
}

std::optional<std::string> Reader::readlink(const std::string& rel) const {
    char buf[4096];
    ssize_t n = ::readlink((root_ + "/" + rel).c_str(), buf, sizeof buf);
    if (n < 0) return std::nullopt;
    return std::string(buf, std::size_t(n));
}

std::optional<std::vector<std::string>> Reader::list(const std::string& rel) const {
    DIR* d = ::opendir((root_ + "/" + rel).c_str());
    if (!d) return std::nullopt;
    std::vector<std::string> out;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
        out.emplace_back(e->d_name);
    }
    ::closedir(d);
    return out;
}

std::vector<int> Reader::pids() const {
    std::vector<int> out;
    if (auto names = list("")) {
        for (auto& n : *names) {
            int pid;
            auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), pid);
            if (ec == std::errc{} && end == n.data() + n.size()) out.push_back(pid);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace sockowner::procfs
