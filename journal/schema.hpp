// The journal's on-disk schema: creation, identification and version checks.
#pragma once

#include "sqlite.hpp"

namespace sockowner::schema {

// PRAGMA application_id: "SOKW". Tells a sockowner journal from any other SQLite file.
inline constexpr std::int64_t kApplicationId = 0x534F4B57;
// PRAGMA user_version this build writes and understands.
// 2: sockets.inode (a socket's identity in procfs mode, kept for the next run);
//    processes.image (a program image of a process: exec() makes a new owner).
inline constexpr std::int64_t kVersion = 2;

// Creates the tables in an empty database, or checks that an existing one is a
// journal this build can use and brings an older one up to kVersion. Throws
// JournalError with a one-line reason.
void create_or_validate(Db& db);

// For readers: throws unless the file is a journal of a supported version.
void validate(Db& db);

}  // namespace sockowner::schema
