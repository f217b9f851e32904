// `sockowner collect`: choose a source, feed the journal, stop cleanly on a signal.
#pragma once

#include "types.hpp"
#include "writer.hpp"

#include <string>

namespace sockowner {

enum class CollectMode { automatic, ebpf, procfs };

struct CollectOptions {
    std::string journal;
    CollectMode mode = CollectMode::automatic;
    TimeNs poll_interval = 500 * 1'000'000;
    WriterOptions writer;
    bool with_cmdline = true;
    bool cmdline_forced = false;  // --cmdline: record them even where /proc hides them
    std::string proc_root = "/proc";
    std::string pin_dir = "/sys/fs/bpf/sockowner";
    std::uint32_t ring_buffer = 0;  // bytes; 0: the programs' default
};

// Runs until SIGTERM or SIGINT; SIGHUP reopens the journal. Returns the exit code.
int run_collector(const CollectOptions& opt);

}  // namespace sockowner
