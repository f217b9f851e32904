#include "record_format.hpp"

#include "timeutil.hpp"

#include <cstdio>

namespace sockowner {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    std::uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;  // overlong, surrogate
    return n;
}

std::string opt_time(const std::optional<TimeNs>& t) { return t ? format_time(*t) : std::string(); }

}  // namespace

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_len(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (n > 1) {
            out.append(s.substr(i, n));
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += char(c);
        }
        i += n;
    }
    return out + "\"";
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::vector<Field> interval_fields(const SocketRow& r, const ProcessRow* p) {
    const SocketRecord& s = r.s;
    auto num = [](auto v) { return std::to_string(v); };
    std::vector<Field> f = {
        {"proto", std::string(proto_name(s.proto)), false},
        {"family", num(s.family), true},
        {"local_addr", s.local.addr.to_string(), false},
        {"local_port", num(s.local.port), true},
        {"remote_addr", s.remote.addr.to_string(), false},
        {"remote_port", num(s.remote.port), true},
        {"opened", format_time(s.opened), false},
        {"closed", opt_time(s.closed), false},
        {"pid", p ? num(p->p.pid) : std::string(), true},
        {"name", p ? p->p.comm : std::string(), false},
        {"cmdline", p ? p->p.cmdline : std::string(), false},
        {"user", p ? p->p.user : std::string(), false},
        {"source", s.source, false},
        {"uid", p ? num(p->p.uid) : std::string(), true},
        {"gid", p ? num(p->p.gid) : std::string(), true},
        {"ppid", p ? num(p->p.ppid) : std::string(), true},
        {"exe", p ? p->p.exe : std::string(), false},
        {"container", p ? p->p.container : std::string(), false},
        {"process_start", p ? format_time(p->p.start_time) : std::string(), false},
        {"netns", s.netns ? num(s.netns) : std::string(), true},
        {"cookie", s.cookie ? num(s.cookie) : std::string(), true},
        {"id", num(r.id), true},
    };
    return f;
}

std::string to_json(const std::vector<Field>& fields) {
    std::string out = "{";
    for (const auto& f : fields) {
        if (out.size() > 1) out += ",";
        out += json_string(f.key);
        out += ":";
        if (f.value.empty() && (f.is_number || f.key == "closed"))
            out += "null";
        else
            out += f.is_number ? f.value : json_string(f.value);
    }
    return out + "}";
}

std::string csv_header(const std::vector<Field>& fields) {
    std::string out;
    for (const auto& f : fields) out += (out.empty() ? "" : ",") + std::string(f.key);
    return out;
}

std::string to_csv(const std::vector<Field>& fields) {
    std::string out;
    bool first = true;
    for (const auto& f : fields) {
        if (!first) out += ",";
        first = false;
        out += csv_field(f.value);
    }
    return out;
}

}  // namespace sockowner
