#include "live_capture.hpp"

#include <dirent.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace sockowner::plugin {

namespace {
// /proc/PID/stat is "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
bool is_dumpcap_child_of(const std::string& stat_path, pid_t self) {
    std::ifstream in(stat_path);
    std::string line;
    if (!std::getline(in, line)) return false;
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return false;
    if (line.compare(open + 1, close - open - 1, "dumpcap") != 0) return false;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    long ppid = -1;
    rest >> state >> ppid;
    return rest && ppid == long(self);
}

bool is_number(const char* s) { return std::isdigit(static_cast<unsigned char>(s[0])); }

// The children of `self`'s threads as the kernel lists them (PID/task/TID/children),
// or nullopt where it does not (a kernel without CONFIG_PROC_CHILDREN).
std::optional<std::vector<std::string>> listed_children(const std::string& proc_root, pid_t self) {
    const std::string tasks = proc_root + "/" + std::to_string(self) + "/task";
    DIR* dir = opendir(tasks.c_str());
    if (!dir) return std::nullopt;
    std::vector<std::string> children;
    bool listed = false;
    while (dirent* e = readdir(dir)) {
        if (!is_number(e->d_name)) continue;
        std::ifstream in(tasks + "/" + e->d_name + "/children");
        if (!in) continue;
        listed = true;
        for (std::string pid; in >> pid;) children.push_back(pid);
    }
    closedir(dir);
    if (!listed) return std::nullopt;
    return children;
}
}  // namespace

bool has_dumpcap_child(const std::string& proc_root, pid_t self) {
    // Our own children when the kernel lists them: a host's thousands of processes
    // otherwise, one stat each.
    if (auto children = listed_children(proc_root, self)) {
        for (const std::string& pid : *children)
            if (is_dumpcap_child_of(proc_root + "/" + pid + "/stat", self)) return true;
        return false;
    }
    DIR* dir = opendir(proc_root.c_str());
    if (!dir) return false;
    bool found = false;
    while (dirent* e = readdir(dir)) {
        if (!is_number(e->d_name)) continue;
        if (is_dumpcap_child_of(proc_root + "/" + e->d_name + "/stat", self)) {
            found = true;
            break;
        }
    }
    closedir(dir);
    return found;
}

}  // namespace sockowner::plugin
