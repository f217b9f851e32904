#include "host.hpp"

#include <sys/utsname.h>

#include <fstream>

namespace sockowner {

namespace {
std::string first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}
}  // namespace

HostInfo current_host() {
    HostInfo h;
    utsname u{};
    if (uname(&u) == 0) {
        h.hostname = u.nodename;
        h.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
    }
    h.machine_id = first_line("/etc/machine-id");
    h.boot_id = first_line("/proc/sys/kernel/random/boot_id");
    if (h.machine_id.empty()) h.machine_id = h.hostname;
    return h;
}

}  // namespace sockowner
