// Identity of the machine and boot a journal's rows come from.
#pragma once

#include <string>

namespace sockowner {

struct HostInfo {
    std::string hostname, machine_id, boot_id, kernel;
};

HostInfo current_host();

}  // namespace sockowner
