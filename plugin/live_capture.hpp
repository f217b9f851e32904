// Whether this process is capturing live. Nothing in epan says so; on Linux both
// Wireshark and tshark run dumpcap as a child while they capture.
#pragma once

#include <sys/types.h>

#include <string>

namespace sockowner::plugin {

// A process named dumpcap whose parent is `self` exists under `proc_root`.
bool has_dumpcap_child(const std::string& proc_root, pid_t self);

}  // namespace sockowner::plugin
