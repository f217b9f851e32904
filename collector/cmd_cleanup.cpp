#include "cli.hpp"
#include "ebpf_source.hpp"

#include <getopt.h>

#include <cstdio>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner cleanup [--pin-dir DIR]\n"
    "\n"
    "Detaches the collector's eBPF programs and removes their pinned maps and links\n"
    "(default /sys/fs/bpf/sockowner). Run it after stopping the collector for good;\n"
    "a restarted collector reuses the pins and loses nothing in between.\n";
}

int cmd_cleanup(int argc, char** argv) {
    std::string pin_dir = "/sys/fs/bpf/sockowner";
    static const option longopts[] = {
        {"pin-dir", required_argument, nullptr, 'P'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'P': pin_dir = optarg; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("cleanup", c, argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("cleanup: unexpected argument '") + argv[optind] + "'");
    std::string error;
    int removed = remove_pins(pin_dir, error);
    if (removed < 0) {
        std::fprintf(stderr, "sockowner: cleanup: %s\n", error.c_str());
        return 1;
    }
    std::printf("removed %d pinned objects from %s\n", removed, pin_dir.c_str());
    return kExitOk;
}

}  // namespace sockowner::cli
