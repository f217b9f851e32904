// The one place that touches /proc: reads files, links and directory listings.
// The root is configurable so that tests can point it at a fixture tree.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sockowner::procfs {

class Reader {
public:
    explicit Reader(std::string root = "/proc") : root_(std::move(root)) {}

    const std::string& root() const { return root_; }
    // Whole file, or nullopt (errno says why: ENOENT when the process is gone, EACCES...).
    std::optional<std::string> read(const std::string& rel) const;
    // The same for a file the kernel makes as one record (a process's stat, status,
    // cgroup, cmdline): a read that returns less than it asked for had all of it, so
    // the read that would return 0 is not made. Not for files of many records
    // (/proc/net/tcp), where a read stops short at a record that does not fit.
    std::optional<std::string> read_record(const std::string& rel) const;
    std::optional<std::string> readlink(const std::string& rel) const;
    // Names in a directory; nullopt if it cannot be listed (errno says why).
    std::optional<std::vector<std::string>> list(const std::string& rel) const;
    // Numeric entries of the root: the process ids, ascending.
    std::vector<int> pids() const;

private:
    std::optional<std::string> read_file(const std::string& rel, bool one_record) const;

    std::string root_;
};

}  // namespace sockowner::procfs
