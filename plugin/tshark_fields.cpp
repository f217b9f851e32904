#include "tshark_fields.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <string_view>

namespace sockowner::plugin {
namespace {

// tshark 4.0's short options ("+": options end at the first non-option; a letter
// followed by ':' takes an argument), as its binary holds them.
constexpr std::string_view kShortOptions = "+2a:b:B:c:Df:i:ILps:y:d:K:nN:t:u:M:C:e:E:F:gG:hH:j:J:lo:O:PqQr:R:S:T:U:vVw:W:xX:Y:z:";

struct LongOption {
    std::string_view name;
    bool takes_argument;
};
// tshark 4.0's long options, read from its binary's option table.
constexpr std::array kLongOptions = {
    LongOption{"help", false},
    LongOption{"version", false},
    LongOption{"autostop", true},
    LongOption{"ring-buffer", true},
    LongOption{"buffer-size", true},
    LongOption{"list-interfaces", false},
    LongOption{"interface", true},
    LongOption{"monitor-mode", false},
    LongOption{"list-data-link-types", false},
    LongOption{"no-promiscuous-mode", false},
    LongOption{"snapshot-length", true},
    LongOption{"linktype", true},
    LongOption{"list-time-stamp-types", false},
    LongOption{"time-stamp-type", true},
    LongOption{"compress-type", true},
    LongOption{"temp-dir", true},
    LongOption{"disable-protocol", true},
    LongOption{"enable-heuristic", true},
    LongOption{"disable-heuristic", true},
    LongOption{"enable-protocol", true},
    LongOption{"print", false},
    LongOption{"export-objects", true},
    LongOption{"export-tls-session-keys", true},
    LongOption{"color", false},
    LongOption{"no-duplicate-keys", false},
    LongOption{"elastic-mapping-filter", true},
    LongOption{"capture-comment", true},
    LongOption{"hexdump", true},
    LongOption{"selected-frame", true},
};

// A long option as getopt_long finds it: its exact name, else the one option the
// name abbreviates. Nothing when unknown or ambiguous.
const LongOption* find_long(std::string_view name) {
    const LongOption* found = nullptr;
    for (const LongOption& o : kLongOptions) {
        if (o.name == name) return &o;
        if (o.name.substr(0, name.size()) == name) {
            if (found) return nullptr;
            found = &o;
        }
    }
    return found;
}

// A short option: 0 unknown, 1 no argument, 2 takes one.
int short_option(char c) {
    if (c == ':' || c == '+') return 0;
    std::size_t at = kShortOptions.find(c, 1);
    if (at == std::string_view::npos) return 0;
    return at + 1 < kShortOptions.size() && kShortOptions[at + 1] == ':' ? 2 : 1;
}

}  // namespace

std::optional<std::vector<std::string>> tshark_printed_fields(const std::vector<std::string>& argv) {
    if (argv.empty()) return std::nullopt;
    std::string_view program = argv[0];
    if (std::size_t slash = program.rfind('/'); slash != std::string_view::npos) program.remove_prefix(slash + 1);
    if (program != "tshark") return std::nullopt;

    std::string output;  // the last -T
    std::vector<std::string> fields;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") break;
        if (arg.size() < 2 || arg[0] != '-') break;  // "+": the first non-option ends them
        if (arg[1] == '-') {
            arg.remove_prefix(2);
            std::size_t eq = arg.find('=');
            std::string_view name = arg.substr(0, eq);
            // The logging options, which tshark takes out before getopt: "--log-x=v" or "--log-x v".
            bool takes_argument;
            if (name.substr(0, 4) == "log-") {
                takes_argument = true;
            } else {
                const LongOption* o = find_long(name);
                if (!o) return std::nullopt;
                takes_argument = o->takes_argument;
            }
            if (eq != std::string_view::npos) {
                if (!takes_argument) return std::nullopt;  // getopt refuses "--color=x"
            } else if (takes_argument) {
                if (++i == argv.size()) return std::nullopt;
            }
            continue;
        }
        // A cluster of short options ("-nq"), the last may take the rest or the next word.
        for (std::size_t at = 1; at < arg.size(); ++at) {
            char c = arg[at];
            int kind = short_option(c);
            if (kind == 0) return std::nullopt;
            if (kind == 1) continue;
            std::string value;
            if (at + 1 < arg.size()) {
                value = std::string(arg.substr(at + 1));
            } else if (i + 1 < argv.size()) {
                value = argv[++i];
            } else {
                return std::nullopt;
            }
            if (c == 'T') output = value;
            if (c == 'e') fields.push_back(value);
            if (c == 'G') return std::nullopt;  // a glossary: nothing is dissected
            break;
        }
    }
    if (output != "fields") return std::nullopt;
    return fields;
}

std::vector<std::string> own_command_line(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::string all{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::string> argv;
    for (std::size_t at = 0; at < all.size();) {
        std::size_t end = all.find('\0', at);
        if (end == std::string::npos) end = all.size();
        argv.emplace_back(all, at, end - at);
        at = end + 1;
    }
    return argv;
}

}  // namespace sockowner::plugin
