#include "cli.hpp"

#include "timeutil.hpp"

#include <getopt.h>

namespace sockowner::cli {

std::optional<TimeNs> parse_millis(const char* text) {
    std::string s(text);
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) s += "ms";
    return parse_duration(s);
}

TimeNs time_argument(const char* command, const char* text, TimeNs now) {
    auto t = parse_time(text, now);
    if (!t)
        throw UsageError(std::string(command) + ": bad time '" + text +
                         "' (e.g. 2026-11-25T12:00:00Z, 1764072000.5, -5m)");
    return *t;
}

void bad_option(const char* command, int opt, const char* arg) {
    std::string where = std::string(command) + ": ";
    std::string hint = " (try 'sockowner " + std::string(command) + " --help')";
    if (opt == ':') throw UsageError(where + "option " + std::string(arg ? arg : "") + " needs a value" + hint);
    throw UsageError(where + "unknown option " + std::string(arg ? arg : "") + hint);
}

}  // namespace sockowner::cli
