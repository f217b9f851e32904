// Text forms of an ownership interval: JSON objects (export --format jsonl, lookup
// --json), CSV rows and the human one-liner. One list of keys serves all three.
#pragma once

#include "reader.hpp"

#include <string>
#include <string_view>

namespace sockowner {

// A JSON string literal; invalid UTF-8 becomes U+FFFD so every line parses; control
// characters (C0, DEL, C1) and bidi overrides are \u escapes.
std::string json_string(std::string_view s);
// A CSV field: controls escaped as escape_text() does (so no raw line breaks), a text
// that starts like a spreadsheet formula (= + - @) prefixed with ', quoted when it
// holds a comma or quote (RFC 4180).
std::string csv_field(std::string_view s, bool is_number = false);

struct Field {
    std::string_view key;
    std::string value;
    bool is_number;
};
// proto, family, local_addr, local_port, remote_addr, remote_port, opened, closed,
// pid, name, cmdline, user, source, and the rest of the process's details.
std::vector<Field> interval_fields(const SocketRow& s, const ProcessRow* p);

std::string to_json(const std::vector<Field>& fields);
std::string csv_header(const std::vector<Field>& fields);
std::string to_csv(const std::vector<Field>& fields);

}  // namespace sockowner
