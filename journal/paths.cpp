#include "paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace sockowner {

std::string default_journal_path() {
    if (const char* env = std::getenv("SOCKOWNER_JOURNAL"); env && *env) return env;
    if (geteuid() == 0) return system_journal_path();
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::string(xdg) + "/sockowner/journal.db";
    const char* home = std::getenv("HOME");
    std::string h = home && *home ? home : "";
    if (h.empty())
        if (passwd* pw = getpwuid(geteuid())) h = pw->pw_dir;
    return h + "/.local/state/sockowner/journal.db";
}

std::string system_journal_path() { return "/var/lib/sockowner/journal.db"; }

}  // namespace sockowner
