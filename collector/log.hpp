// One-line log messages on stderr: "sockowner: LEVEL: text".
#pragma once

#include <cstdarg>

namespace sockowner::log {

enum class Level { debug, info, warn, error };

void set_verbose(bool verbose);
bool verbose();
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define SO_DEBUG(...) ::sockowner::log::write(::sockowner::log::Level::debug, __VA_ARGS__)
#define SO_INFO(...) ::sockowner::log::write(::sockowner::log::Level::info, __VA_ARGS__)
#define SO_WARN(...) ::sockowner::log::write(::sockowner::log::Level::warn, __VA_ARGS__)
#define SO_ERROR(...) ::sockowner::log::write(::sockowner::log::Level::error, __VA_ARGS__)

}  // namespace sockowner::log
