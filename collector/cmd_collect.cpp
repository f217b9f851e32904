#include "cli.hpp"
#include "collector.hpp"
#include "log.hpp"
#include "paths.hpp"
#include "timeutil.hpp"

#include <getopt.h>

#include <algorithm>

#include <cstdio>
#include <cstring>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner collect [--journal PATH] [--mode auto|ebpf|procfs] [--poll-interval MS]\n"
    "                         [--retain DURATION] [--max-size SIZE] [--no-cmdline | --cmdline]\n"
    "                         [--ring-buffer SIZE] [-v]\n"
    "\n"
    "Records socket ownership into the journal until SIGTERM or SIGINT (SIGHUP reopens\n"
    "the journal after it was moved, e.g. by logrotate).\n"
    "\n"
    "  --journal PATH        journal file (default: $SOCKOWNER_JOURNAL, else\n"
    "                        /var/lib/sockowner/journal.db as root)\n"
    "  --mode MODE           auto (default): eBPF when it loads and attaches, else procfs,\n"
    "                        saying why; ebpf: fail instead of falling back; procfs: poll /proc\n"
    "  --poll-interval MS    procfs polling period (default 500; accepts 500ms, 1s)\n"
    "  --retain DURATION     delete intervals closed longer ago than this (e.g. 7d, 12h)\n"
    "  --max-size SIZE       keep the journal and its write-ahead log under SIZE bytes\n"
    "                        (e.g. 500M): the oldest closed intervals go first\n"
    "  --no-cmdline          do not record command lines (they can hold secrets)\n"
    "  --cmdline             record them even where /proc hides other users' processes\n"
    "                        (hidepid), which otherwise turns them off\n"
    "  --ring-buffer SIZE    kernel→collector event buffer, a power of two (default 8M);\n"
    "                        takes effect when the pinned maps are created\n"
    "  --pin-dir DIR         bpffs directory for pinned maps and links\n"
    "                        (default /sys/fs/bpf/sockowner)\n"
    "  --proc-root DIR       where procfs is mounted (default /proc)\n"
    "  -v, --verbose         log more\n";

TimeNs parse_interval(const char* text) {
    auto d = parse_millis(text);
    if (!d || *d < 10 * kNsPerMs) throw UsageError(std::string("collect: bad --poll-interval '") + text + "' (at least 10 ms)");
    return *d;
}
}  // namespace

int cmd_collect(int argc, char** argv) {
    CollectOptions opt;
    opt.journal = default_journal_path();
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'},  {"mode", required_argument, nullptr, 'm'},
        {"poll-interval", required_argument, nullptr, 'p'}, {"retain", required_argument, nullptr, 'r'},
        {"max-size", required_argument, nullptr, 's'}, {"no-cmdline", no_argument, nullptr, 'n'},
        {"cmdline", no_argument, nullptr, 'C'},
        {"pin-dir", required_argument, nullptr, 'P'},  {"proc-root", required_argument, nullptr, 'R'},
        {"ring-buffer", required_argument, nullptr, 'b'}, {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":vh", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': opt.journal = optarg; break;
            case 'm':
                if (!std::strcmp(optarg, "auto")) opt.mode = CollectMode::automatic;
                else if (!std::strcmp(optarg, "ebpf")) opt.mode = CollectMode::ebpf;
                else if (!std::strcmp(optarg, "procfs")) opt.mode = CollectMode::procfs;
                else throw UsageError(std::string("collect: bad --mode '") + optarg + "' (auto, ebpf or procfs)");
                break;
            case 'p': opt.poll_interval = parse_interval(optarg); break;
            case 'r': {
                auto d = parse_duration(optarg);
                if (!d || *d <= 0) throw UsageError(std::string("collect: bad --retain '") + optarg + "' (e.g. 7d, 12h)");
                opt.writer.retain = *d;
                break;
            }
            case 's': {
                auto sz = parse_size(optarg);
                if (!sz || *sz < 65536) throw UsageError(std::string("collect: bad --max-size '") + optarg + "' (e.g. 500M; at least 64K)");
                opt.writer.max_size = *sz;
                // The write-ahead log counts in the size: a reader may keep it from
                // being reset up to a quarter of it (at least 1 MiB).
                opt.writer.max_wal = std::max<std::int64_t>(1 << 20, *sz / 4);
                break;
            }
            case 'n': opt.with_cmdline = false; break;
            case 'C':
                opt.with_cmdline = true;
                opt.cmdline_forced = true;
                break;
            case 'b': {
                auto sz = parse_size(optarg);
                if (!sz || *sz < 4096 || *sz > (1ll << 30) || (*sz & (*sz - 1)))
                    throw UsageError(std::string("collect: bad --ring-buffer '") + optarg +
                                     "' (a power of two from 4K to 1G, e.g. 8M)");
                opt.ring_buffer = std::uint32_t(*sz);
                break;
            }
            case 'P': opt.pin_dir = optarg; break;
            case 'R': opt.proc_root = optarg; break;
            case 'v': log::set_verbose(true); break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("collect", c, argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("collect: unexpected argument '") + argv[optind] + "'");
    if (opt.journal.empty()) throw UsageError("collect: empty --journal path");
    return run_collector(opt);
}

}  // namespace sockowner::cli
