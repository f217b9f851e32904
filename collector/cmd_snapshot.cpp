#include "cli.hpp"
#include "paths.hpp"
#include "reader.hpp"
#include "timeutil.hpp"

#include <getopt.h>

#include <cstdio>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner snapshot OUT [--journal PATH] [--since TIME] [--until TIME]\n"
    "\n"
    "Writes a consistent copy of the journal to OUT while the collector keeps writing:\n"
    "one self-contained file (no -wal or -shm) to copy, archive or open in Wireshark\n"
    "elsewhere. A journal copied with cp(1) while it is written can miss rows that are\n"
    "still in its -wal file. --since/--until keep the intervals overlapping that window\n"
    "(TIME as for 'sockowner lookup --at'). OUT must not exist.\n";
}

int cmd_snapshot(int argc, char** argv) {
    std::string journal = default_journal_path();
    std::optional<TimeNs> since, until;
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'}, {"since", required_argument, nullptr, 's'},
        {"until", required_argument, nullptr, 'u'},   {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    TimeNs now = wall_now();
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': journal = optarg; break;
            case 's': since = time_argument("snapshot", optarg, now); break;
            case 'u': until = time_argument("snapshot", optarg, now); break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("snapshot", c, argv[optind - 1]);
        }
    }
    if (argc - optind != 1) throw UsageError("snapshot: need OUT, the file to write (try 'sockowner snapshot --help')");
    JournalReader reader(journal);
    reader.snapshot(argv[optind], since, until);
    return kExitOk;
}

}  // namespace sockowner::cli
