// The journal's on-disk schema: creation, identification and version checks.
#pragma once

#include "sqlite.hpp"

namespace sockowner::schema {

// PRAGMA application_id: "SOKW". Tells a sockowner journal from any other SQLite file.
inline constexpr std::int64_t kApplicationId = 0x534F4B57;
// PRAGMA user_version this build writes and understands.
// 2: sockets.inode (a socket's identity in procfs mode, kept for the next run);
//    processes.image (a program image of a process: exec() makes a new owner).
// 3: processes.socket_refs (how many socket rows name the process: retention deletes
//    it at 0) instead of an index on sockets.process_id, and no index by port: each
//    cost the writer more than the table itself (random keys).
// 4: sockets.changed (the seq of a row's last update, NULL for a row never updated),
//    indexed for those rows only, instead of an index on every row's seq: a change feed
//    takes new rows by id (the writer numbers them in commit order) and updated ones by
//    `changed`. The seq index cost a quarter of each insert's instructions.
inline constexpr std::int64_t kVersion = 4;

// Intervals longer than this (or still open) are in the index `sockets_long_spans`; the
// others are found by their open time in `sockets_by_opened`. Together they give
// every interval overlapping a time window from two index range scans, whatever the
// journal's size (what the plugin reads for a capture).
inline constexpr std::int64_t kShortInterval = 600'000'000'000;  // 10 min
// The two indexes, as a journal holds them (sqlite_schema.sql) when they can be used.
extern const char* const kOpenedIndexSql;
extern const char* const kLongIndexSql;
// Sets every process's socket_refs from the sockets table (one pass, grouped).
extern const char* const kCountSocketRefsSql;

// Creates the tables in an empty database, or checks that an existing one is a
// journal this build can use and brings an older one up to kVersion. Throws
// JournalError with a one-line reason.
void create_or_validate(Db& db);

// For readers: throws unless the file is a journal of a supported version.
void validate(Db& db);

}  // namespace sockowner::schema
