// Command-line plumbing shared by the subcommands.
#pragma once

#include "types.hpp"

#include <optional>
#include <stdexcept>
#include <string>

namespace sockowner::cli {

// Bad arguments and unusable inputs: main() prints "sockowner: <what>" and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr int kExitOk = 0, kExitNotFound = 1, kExitUsage = 2;

int cmd_collect(int argc, char** argv);
int cmd_lookup(int argc, char** argv);
int cmd_stats(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_cleanup(int argc, char** argv);
int cmd_snapshot(int argc, char** argv);
int cmd_ls(int argc, char** argv);
int cmd_annotate(int argc, char** argv);

// A duration where a bare number means milliseconds: "500", "500ms", "2s".
std::optional<TimeNs> parse_millis(const char* text);

// A TIME argument (as for `lookup --at`) of `command`'s option, or a UsageError.
TimeNs time_argument(const char* command, const char* text, TimeNs now);

// getopt_long's complaint for the option at argv[optind-1], as a UsageError.
[[noreturn]] void bad_option(const char* command, int opt, const char* arg);

}  // namespace sockowner::cli
