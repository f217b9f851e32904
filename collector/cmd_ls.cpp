#include "cli.hpp"
#include "paths.hpp"
#include "reader.hpp"
#include "text_escape.hpp"
#include "timeutil.hpp"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner ls [--journal PATH] [PORT | PID | NAME]\n"
    "\n"
    "Who owns what now, from the journal (as `ss -p` or `lsof -i` would show it): every\n"
    "socket whose interval is still open, with its owner. A number keeps the sockets with\n"
    "that local or remote port, or of that pid; a name, those of processes so named.\n"
    "When no collector is running, the list is what was open when the last one stopped,\n"
    "and ls says so.\n";

bool matches(const std::string& what, const SocketRow& s, const ProcessRow* p) {
    if (what.empty()) return true;
    if (what.find_first_not_of("0123456789") == std::string::npos) {
        long n = std::strtol(what.c_str(), nullptr, 10);
        return s.s.local.port == n || s.s.remote.port == n || (p && p->p.pid == n);
    }
    return p && p->p.comm == what;
}
}  // namespace

int cmd_ls(int argc, char** argv) {
    std::string journal = default_journal_path();
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'}, {"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0}};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': journal = optarg; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("ls", c, argv[optind - 1]);
        }
    }
    if (argc - optind > 1) throw UsageError("ls: at most one PORT, PID or NAME (try 'sockowner ls --help')");
    std::string what = argc - optind == 1 ? argv[optind] : "";

    JournalReader reader(journal);
    auto runs = reader.runs();
    if (!runs.empty() && runs.back().stopped)
        std::fprintf(stderr, "sockowner: no collector is running (the last stopped %s): open then, maybe not now\n",
                     format_time(*runs.back().stopped).c_str());
    std::printf("%-6s %-28s %-28s %8s %-16s %-10s %s\n", "PROTO", "LOCAL", "REMOTE", "PID", "NAME", "USER", "SINCE");
    int n = 0;
    reader.open_intervals([&](const SocketRow& s, const ProcessRow* p) {
        if (!matches(what, s, p)) return;
        bool connected = !(s.s.remote.addr.is_unspecified() && s.s.remote.port == 0);
        std::printf("%-6s %-28s %-28s %8s %-16s %-10s %s\n", std::string(proto_name(s.s.proto)).c_str(),
                    format_endpoint(s.s.local).c_str(), connected ? format_endpoint(s.s.remote).c_str() : "*",
                    p ? std::to_string(p->p.pid).c_str() : "?", p ? escape_text(p->p.comm).c_str() : "?",
                    p ? escape_text(p->p.user).c_str() : "?", format_time(s.s.opened).c_str());
        ++n;
    });
    return n > 0 || what.empty() ? kExitOk : kExitNotFound;
}

}  // namespace sockowner::cli
