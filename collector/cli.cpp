#include "cli.hpp"

#include "timeutil.hpp"

#include <getopt.h>

namespace sockowner::cli {

std::optional<TimeNs> parse_millis(const char* text) {
    std::string s(text);
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) s += "ms";
    return parse_duration(s);
}

void bad_option(const char* command, int opt, const char* arg) {
    std::string where = std::string(command) + ": ";
    std::string hint = " (try 'sockowner " + std::string(command) + " --help')";
    if (opt == ':') throw UsageError(where + "option " + std::string(arg ? arg : "") + " needs a value" + hint);
    throw UsageError(where + "unknown option " + std::string(arg ? arg : "") + hint);
}

}  // namespace sockowner::cli
