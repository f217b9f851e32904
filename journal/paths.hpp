#pragma once

#include <string>

namespace sockowner {

// $SOCKOWNER_JOURNAL, else /var/lib/sockowner/journal.db for root, else
// $XDG_STATE_HOME/sockowner/journal.db (~/.local/state/... when unset).
std::string default_journal_path();

// Where a collector running as root writes: /var/lib/sockowner/journal.db.
std::string system_journal_path();

}  // namespace sockowner
