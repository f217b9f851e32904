#include "cli.hpp"
#include "owner_index.hpp"
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
    "usage: sockowner lookup [--journal PATH] [--at TIME] [--slack MS] [--json] PROTO SRC:PORT DST:PORT\n"
    "\n"
    "Who owned the PROTO socket whose local end is SRC:PORT and remote end DST:PORT at\n"
    "TIME: the sender of a packet SRC:PORT -> DST:PORT. Swap the endpoints for the\n"
    "receiver. The exact tuple is tried first, then an unconnected socket on SRC:PORT\n"
    "(listener, UDP), then one bound to the any-address on that port.\n"
    "\n"
    "  PROTO           tcp, udp, icmp, icmpv6 or raw (for ICMP the port is the echo id)\n"
    "  SRC:PORT        1.2.3.4:80 or [2001:db8::1]:80\n"
    "  --at TIME       when (default now): 2026-11-25T12:00:00.5Z, local\n"
    "                  '2026-11-25 12:00:00', Unix seconds 1764072000.5, or -5m\n"
    "  --slack MS      how far outside an interval a time may fall (default 1000)\n"
    "  --json          one JSON object with the same keys as 'export --format jsonl'\n"
    "  --journal PATH  journal file\n"
    "\n"
    "Exit status: 0 found, 1 no owner known, 2 bad arguments or journal.\n";
}

int cmd_lookup(int argc, char** argv) {
    std::string journal = default_journal_path();
    std::string at_text = "now";
    bool json = false;
    MatchOptions match;
    static const option longopts[] = {
        {"journal", required_argument, nullptr, 'j'}, {"at", required_argument, nullptr, 'a'},
        {"slack", required_argument, nullptr, 's'},   {"json", no_argument, nullptr, 'J'},
        {"help", no_argument, nullptr, 'h'},          {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    // "+": stop at the first operand, so that "-5m"-like operands are not options.
    while ((c = getopt_long(argc, argv, "+:h", longopts, nullptr)) != -1) {
        switch (c) {
            case 'j': journal = optarg; break;
            case 'a': at_text = optarg; break;
            case 's': {
                auto d = parse_millis(optarg);
                if (!d) throw UsageError(std::string("lookup: bad --slack '") + optarg + "'");
                match.slack = match.grace = *d;
                break;
            }
            case 'J': json = true; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("lookup", c, argv[optind - 1]);
        }
    }
    if (argc - optind != 3) throw UsageError("lookup: need PROTO SRC:PORT DST:PORT (try 'sockowner lookup --help')");
    auto proto = parse_proto(argv[optind]);
    if (!proto) throw UsageError(std::string("lookup: unknown protocol '") + argv[optind] + "' (tcp, udp, icmp, icmpv6, raw)");
    auto src = parse_endpoint(argv[optind + 1]);
    if (!src) throw UsageError(std::string("lookup: bad endpoint '") + argv[optind + 1] + "' (ADDR:PORT or [ADDR6]:PORT)");
    auto dst = parse_endpoint(argv[optind + 2]);
    if (!dst) throw UsageError(std::string("lookup: bad endpoint '") + argv[optind + 2] + "' (ADDR:PORT or [ADDR6]:PORT)");
    auto at = parse_time(at_text, wall_now());
    if (!at) throw UsageError("lookup: bad --at '" + at_text + "' (e.g. 2026-11-25T12:00:00Z, 1764072000.5, -5m)");

    JournalReader reader(journal);
    // Only this port's intervals around that time can match: index just those.
    OwnerIndex index;
    auto rows = reader.sockets_on_port(*proto, src->port, time_add(*at, -match.grace), time_add(*at, match.slack));
    for (const auto& r : rows) index.upsert(r);
    auto m = index.find(OwnerQuery{*proto, *src, *dst, *at}, match);
    if (!m) {
        std::fprintf(stderr, "sockowner: no owner known for %s %s -> %s at %s\n", std::string(proto_name(*proto)).c_str(),
                     format_endpoint(*src).c_str(), format_endpoint(*dst).c_str(), format_time(*at).c_str());
        constexpr TimeNs kHintLookBack = 3600 * kNsPerSec;  // read by time: an hour's openings at most
        if (at_text == "now")
            if (auto last = reader.last_opened_on_port(*proto, src->port, time_add(*at, -kHintLookBack), *at))
                std::fprintf(stderr, "sockowner: the last interval on that port opened at %s, none open now: give "
                                     "the packet's time, e.g. --at '%s' or --at -10m\n",
                             format_time(*last).c_str(), format_time(*last).c_str());
        return kExitNotFound;
    }
    const SocketRow* row = nullptr;
    for (const auto& r : rows)
        if (r.id == m->socket->id) row = &r;
    auto process = reader.process(row->process_id);
    auto fields = interval_fields(*row, process ? &*process : nullptr);
    if (json) {
        fields.push_back({"match", std::string(match_kind_name(m->kind)), false});
        std::printf("%s\n", to_json(fields).c_str());
        return kExitOk;
    }
    auto value = [&](std::string_view key) {  // as text: what a process calls itself, escaped
        for (auto& f : fields)
            if (f.key == key) return escape_text(f.value);
        return std::string();
    };
    std::printf("pid %s  %s  user %s  source %s  match %s\n", value("pid").c_str(), value("name").c_str(),
                value("user").c_str(), value("source").c_str(), std::string(match_kind_name(m->kind)).c_str());
    std::printf("  cmdline  %s\n  exe      %s\n", value("cmdline").c_str(), value("exe").c_str());
    std::printf("  socket   %s %s -> %s, %s .. %s\n", value("proto").c_str(),
                format_endpoint(row->s.local).c_str(), format_endpoint(row->s.remote).c_str(), value("opened").c_str(),
                row->s.closed ? value("closed").c_str() : "open");
    if (!value("container").empty()) std::printf("  container %s\n", value("container").c_str());
    return kExitOk;
}

}  // namespace sockowner::cli
