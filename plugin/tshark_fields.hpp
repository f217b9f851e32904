// Which fields `tshark -T fields` prints, read from its command line.
//
// tshark 4.0 cannot tell a dissector which fields its -T fields output names (4.2 and
// later mark them referenced): it builds every packet's whole visible tree, as for -V,
// and prints the -e fields from it. The plugin built for 4.0 reads them here and adds
// only those of its items (and any a filter, column or tap references) instead of ~30
// a packet that nobody prints.
//
// The command line is parsed as tshark 4.0's getopt_long does (its options, which of
// them take an argument, "+": the first non-option ends them). Anything not understood
// gives no answer, and the caller builds the whole tree as before.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sockowner::plugin {

// The -e fields, in order, when argv (argv[0] included) runs tshark with "-T fields"
// as its last -T; nothing when it does not, or when argv is not understood.
std::optional<std::vector<std::string>> tshark_printed_fields(const std::vector<std::string>& argv);

// This process's command line (/proc/self/cmdline), or nothing where it cannot be read.
std::vector<std::string> own_command_line(const char* path = "/proc/self/cmdline");

}  // namespace sockowner::plugin
