#include "log.hpp"

#include "text_escape.hpp"

#include <cstdio>

namespace sockowner::log {

namespace {
bool g_verbose = false;
}

void set_verbose(bool v) { g_verbose = v; }
bool verbose() { return g_verbose; }

void write(Level level, const char* fmt, ...) {
    if (level == Level::debug && !g_verbose) return;
    static const char* const names[] = {"debug", "info", "warning", "error"};
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    // Messages can quote paths and SQLite's words about a file: one line, no controls.
    std::fprintf(stderr, "sockowner: %s: %s\n", names[int(level)], escape_text(buf).c_str());
}

}  // namespace sockowner::log
