#include "text_escape.hpp"

#include <cstdint>
#include <cstdio>

namespace sockowner {

namespace {

std::uint32_t decode(std::string_view s, std::size_t i, std::size_t n) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    return cp;
}

bool is_control(std::uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// Bidirectional embeddings, overrides and isolates: they reorder what follows them.
bool is_bidi(std::uint32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

}  // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    std::uint32_t cp = decode(s, i, n);
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool text_is_safe(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {  // printable ASCII: the fast path
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence_length(s, i);
        if (n < 2) return false;  // a control, a backslash, or not UTF-8
        std::uint32_t cp = decode(s, i, n);
        if (is_control(cp) || is_bidi(cp)) return false;
        i += n;
    }
    return true;
}

std::string escape_text(std::string_view s) {
    if (text_is_safe(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    char buf[16];
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
            ++i;
            continue;
        }
        std::uint32_t cp = decode(s, i, n);
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (n == 1 && is_control(cp)) {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else if (is_control(cp) || is_bidi(cp)) {
            std::snprintf(buf, sizeof buf, "\\u{%04x}", cp);
            out += buf;
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | cp >> 6);
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | cp >> 12);
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | cp >> 18);
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

}  // namespace

std::string unescape_text(std::string_view s) {
    if (s.find('\\') == std::string_view::npos) return std::string(s);
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c != '\\' || i + 1 == s.size()) {
            out += c;
            continue;
        }
        char e = s[i + 1];
        if (e == '\\' || e == 'n' || e == 'r' || e == 't') {
            out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : '\\';
            ++i;
        } else if (e == 'x' && i + 3 < s.size() && hex_value(s[i + 2]) >= 0 && hex_value(s[i + 3]) >= 0) {
            out += char(hex_value(s[i + 2]) << 4 | hex_value(s[i + 3]));
            i += 3;
        } else if (e == 'u' && i + 2 < s.size() && s[i + 2] == '{') {
            std::size_t end = s.find('}', i + 3);
            std::uint32_t cp = 0;
            bool ok = end != std::string_view::npos && end > i + 3 && end - (i + 3) <= 6;
            for (std::size_t k = i + 3; ok && k < end; ++k) {
                int v = hex_value(s[k]);
                ok = v >= 0;
                cp = cp << 4 | std::uint32_t(v < 0 ? 0 : v);
            }
            if (ok && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                append_utf8(out, cp);
                i = end;
            } else {
                out += c;
            }
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace sockowner
