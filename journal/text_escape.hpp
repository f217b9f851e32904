// Text that came from processes, journals or captures, made safe to print: every
// control character (C0, DEL, C1), every Unicode bidirectional override and every
// byte that is not UTF-8 becomes a visible escape, and the backslash doubles, so that
// nothing a process calls itself can move a cursor, set a terminal's title, erase a
// line or reorder what an analyst reads — and the original can be told back.
//
//   \\      a backslash          \xHH    a C0 control, DEL, or a byte not UTF-8
//   \n \r \t                      \u{HHHH} a C1 control or a bidi override
#pragma once

#include <string>
#include <string_view>

namespace sockowner {

std::string escape_text(std::string_view s);

// The text escape_text() was given back, from its output: what a comment or a file
// written with escape_text() said. Sequences escape_text() does not write are kept.
std::string unescape_text(std::string_view s);

// True when escape_text(s) would change nothing (the common case: no copy needed).
bool text_is_safe(std::string_view s);

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (overlong forms
// and surrogates are not).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

}  // namespace sockowner
