#include "cli.hpp"
#include "paths.hpp"
#include "reader.hpp"
#include "record_format.hpp"
#include "text_escape.hpp"
#include "timeutil.hpp"

#include <getopt.h>

#include <cstdio>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner stats [--journal PATH] [--json]\n"
    "\n"
    "What the journal holds (intervals by protocol, family and source; processes; size)\n"
    "and how its collector runs went: mode (ebpf or procfs) and why, events, lost\n"
    "events, process-cache hits and misses, as last reported by each run.\n";
}

int cmd_stats(int argc, char** argv) {
    std::string journal = default_journal_path();
    bool json = false;
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'}, {"json", no_argument, nullptr, 'J'},
        {"help", no_argument, nullptr, 'h'},          {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': journal = optarg; break;
            case 'J': json = true; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("stats", c, argv[optind - 1]);
        }
    }
    if (optind < argc) throw UsageError(std::string("stats: unexpected argument '") + argv[optind] + "'");

    JournalReader reader(journal);
    auto counts = reader.socket_counts();
    auto runs = reader.runs();
    std::int64_t total = 0, open = 0;
    for (auto& s : counts) {
        total += s.total;
        open += s.open;
    }
    if (json) {
        std::string out = "{\"journal\":" + json_string(journal) + ",\"bytes\":" + std::to_string(reader.file_size()) +
                          ",\"sockets\":{\"total\":" + std::to_string(total) + ",\"open\":" + std::to_string(open) +
                          ",\"by_kind\":[";
        for (std::size_t i = 0; i < counts.size(); ++i) {
            auto& s = counts[i];
            out += (i ? "," : "") + std::string("{\"proto\":") + json_string(s.proto) + ",\"family\":" +
                   std::to_string(s.family) + ",\"source\":" + json_string(s.source) + ",\"total\":" +
                   std::to_string(s.total) + ",\"open\":" + std::to_string(s.open) + "}";
        }
        out += "]},\"processes\":" + std::to_string(reader.process_count()) + ",\"runs\":[";
        for (std::size_t i = 0; i < runs.size(); ++i) {
            auto& r = runs[i];
            out += (i ? "," : "") + std::string("{\"id\":") + std::to_string(r.id) + ",\"pid\":" +
                   std::to_string(r.pid) + ",\"version\":" + json_string(r.version) + ",\"mode\":" +
                   json_string(r.mode) + ",\"reason\":" + json_string(r.reason) + ",\"started\":" +
                   json_string(format_time(r.started)) + ",\"stopped\":" +
                   (r.stopped ? json_string(format_time(*r.stopped)) : "null") + ",\"counters\":{";
            bool first = true;
            for (auto& [name, value] : reader.counters(r.id)) {
                out += (first ? "" : ",") + json_string(name) + ":" + std::to_string(value);
                first = false;
            }
            out += "}}";
        }
        std::printf("%s]}\n", out.c_str());
        return kExitOk;
    }
    // Every string below comes from the journal file: escaped, since it may not be ours.
    auto text = [](const std::string& v) { return escape_text(v); };
    std::printf("journal    %s (%lld bytes)\n", text(journal).c_str(), (long long)reader.file_size());
    std::printf("sockets    %lld intervals, %lld open\n", (long long)total, (long long)open);
    for (auto& s : counts)
        std::printf("  %-7s IPv%d %-9s %10lld total %8lld open\n", text(s.proto).c_str(), s.family, text(s.source).c_str(),
                    (long long)s.total, (long long)s.open);
    std::printf("processes  %lld\n", (long long)reader.process_count());
    // The last few runs are what an operator needs; older ones stay in the journal.
    std::size_t first = runs.size() > 5 ? runs.size() - 5 : 0;
    for (std::size_t i = first; i < runs.size(); ++i) {
        auto& r = runs[i];
        std::printf("run %lld    pid %lld, %s .. %s\n", (long long)r.id, (long long)r.pid, format_time(r.started).c_str(),
                    r.stopped ? format_time(*r.stopped).c_str() : "running");
        std::printf("  version  %s\n", text(r.version).c_str());
        std::printf("  mode     %s%s%s\n", text(r.mode).c_str(), r.reason.empty() ? "" : " — ", text(r.reason).c_str());
        for (auto& [name, value] : reader.counters(r.id))
            std::printf("  %-24s %lld\n", text(name).c_str(), (long long)value);
    }
    return kExitOk;
}

}  // namespace sockowner::cli
