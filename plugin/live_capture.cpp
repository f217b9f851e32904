#include "live_capture.hpp"

#include <dirent.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

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
}  // namespace

bool has_dumpcap_child(const std::string& proc_root, pid_t self) {
    DIR* dir = opendir(proc_root.c_str());
    if (!dir) return false;
    bool found = false;
    while (dirent* e = readdir(dir)) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        if (is_dumpcap_child_of(proc_root + "/" + e->d_name + "/stat", self)) {
            found = true;
            break;
        }
    }
    closedir(dir);
    return found;
}

}  // namespace sockowner::plugin
