// How many socket rows a journal holds now: the follower compares it with the rows it
// has read to notice those the collector's retention deleted (a change feed shows
// inserts and updates, never deletions).
#pragma once

#include <cstdint>
#include <string>

namespace sockowner::attribution {

// Opens `path` read-only for one count. Throws JournalError.
std::int64_t journal_socket_rows(const std::string& path);

}  // namespace sockowner::attribution
