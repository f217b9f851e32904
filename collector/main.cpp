// sockowner: which process sent or received each packet.
#include "cli.hpp"
#include "sqlite.hpp"
#include "text_escape.hpp"

#include <cstdio>
#include <cstring>

namespace {

constexpr const char* kUsage =
    "usage: sockowner COMMAND [OPTIONS]\n"
    "\n"
    "Records which process owns every TCP, UDP and ICMP socket, so that packet\n"
    "captures can say which process sent or received each packet.\n"
    "\n"
    "commands:\n"
    "  collect   run the collector (eBPF, or procfs polling) and write the journal\n"
    "  lookup    who owned PROTO SRC:PORT -> DST:PORT at a given time\n"
    "  ls        who owns what now (PORT, PID or NAME), like ss -p\n"
    "  stats     what the journal holds and how the collector is doing\n"
    "  export    write the ownership intervals as JSON lines or CSV\n"
    "  snapshot  write a consistent, self-contained copy of the journal\n"
    "  annotate  copy a capture with each packet's processes written into it\n"
    "  cleanup   remove the collector's pinned eBPF programs and maps\n"
    "\n"
    "Run 'sockowner COMMAND --help' for a command's options. The journal defaults to\n"
    "$SOCKOWNER_JOURNAL, else /var/lib/sockowner/journal.db (root) or\n"
    "$XDG_STATE_HOME/sockowner/journal.db.\n";

}  // namespace

int main(int argc, char** argv) {
    using namespace sockowner::cli;
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return kExitUsage;
    }
    const char* cmd = argv[1];
    if (!std::strcmp(cmd, "-h") || !std::strcmp(cmd, "--help") || !std::strcmp(cmd, "help")) {
        std::fputs(kUsage, stdout);
        return kExitOk;
    }
    if (!std::strcmp(cmd, "--version") || !std::strcmp(cmd, "version")) {
        std::printf("sockowner %s\n", SOCKOWNER_VERSION);
        return kExitOk;
    }
    struct {
        const char* name;
        int (*fn)(int, char**);
    } const commands[] = {
        {"collect", cmd_collect}, {"lookup", cmd_lookup},   {"ls", cmd_ls},          {"stats", cmd_stats},
        {"export", cmd_export},   {"cleanup", cmd_cleanup}, {"snapshot", cmd_snapshot},
        {"annotate", cmd_annotate},
    };
    try {
        for (const auto& c : commands)
            if (!std::strcmp(cmd, c.name)) return c.fn(argc - 1, argv + 1);
        throw UsageError(std::string("unknown command '") + cmd + "' (try 'sockowner --help')");
    } catch (const UsageError& e) {  // messages quote arguments and files' contents: escaped
        std::fprintf(stderr, "sockowner: %s\n", sockowner::escape_text(e.what()).c_str());
        return kExitUsage;
    } catch (const sockowner::JournalError& e) {
        std::fprintf(stderr, "sockowner: %s\n", sockowner::escape_text(e.what()).c_str());
        return kExitUsage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sockowner: %s\n", sockowner::escape_text(e.what()).c_str());
        return 1;
    }
}
