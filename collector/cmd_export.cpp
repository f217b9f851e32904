#include "cli.hpp"
#include "paths.hpp"
#include "reader.hpp"
#include "record_format.hpp"
#include "timeutil.hpp"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner export [--journal PATH] [--format jsonl|csv] [--since TIME] [--until TIME]\n"
    "       [--pid PID] [--name NAME] [--port PORT]\n"
    "\n"
    "Writes every ownership interval (socket tuple, when it was open, and its owning\n"
    "process) to standard output, oldest first: one JSON object per line (jsonl, the\n"
    "default) or CSV with a header row. --since/--until keep intervals overlapping that\n"
    "window (TIME as for 'sockowner lookup --at'); --pid and --name those of that\n"
    "process; --port those with that local or remote port.\n";
}

int cmd_export(int argc, char** argv) {
    std::string journal = default_journal_path();
    bool csv = false;
    std::optional<TimeNs> since, until;
    std::optional<long> pid, port;
    std::optional<std::string> name;
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'}, {"format", required_argument, nullptr, 'f'},
        {"since", required_argument, nullptr, 's'},   {"until", required_argument, nullptr, 'u'},
        {"pid", required_argument, nullptr, 'p'},     {"name", required_argument, nullptr, 'n'},
        {"port", required_argument, nullptr, 'P'},    {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    auto number = [](const char* opt, const char* text, long max) {
        char* end = nullptr;
        long v = std::strtol(text, &end, 10);
        if (!*text || *end || v < 0 || v > max)
            throw UsageError(std::string("export: bad ") + opt + " '" + text + "'");
        return v;
    };
    optind = 1;
    opterr = 0;
    int c;
    TimeNs now = wall_now();
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': journal = optarg; break;
            case 'f':
                if (!std::strcmp(optarg, "csv")) csv = true;
                else if (std::strcmp(optarg, "jsonl") && std::strcmp(optarg, "json"))
                    throw UsageError(std::string("export: bad --format '") + optarg + "' (jsonl or csv)");
                break;
            case 's': since = time_argument("export", optarg, now); break;
            case 'u': until = time_argument("export", optarg, now); break;
            case 'p': pid = number("--pid", optarg, 0x7fffffff); break;
            case 'P': port = number("--port", optarg, 65535); break;
            case 'n': name = optarg; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("export", c, argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("export: unexpected argument '") + argv[optind] + "'");

    JournalReader reader(journal);
    bool header = csv;
    reader.intervals(since, until, [&](const SocketRow& s, const ProcessRow* p) {
        if (pid && (!p || p->p.pid != *pid)) return;
        if (name && (!p || p->p.comm != *name)) return;
        if (port && s.s.local.port != *port && s.s.remote.port != *port) return;
        auto fields = interval_fields(s, p);
        if (header) {
            std::printf("%s\n", csv_header(fields).c_str());
            header = false;
        }
        std::printf("%s\n", (csv ? to_csv(fields) : to_json(fields)).c_str());
    });
    if (std::fflush(stdout) != 0) throw std::runtime_error("export: cannot write output");
    return kExitOk;
}

}  // namespace sockowner::cli
