#include "record_format.hpp"

#include "text_escape.hpp"
#include "timeutil.hpp"

#include <cstdio>

namespace sockowner {

namespace {

std::string opt_time(const std::optional<TimeNs>& t) { return t ? format_time(*t) : std::string(); }

std::uint32_t code_point(std::string_view s, std::size_t i, std::size_t n) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    std::uint32_t cp = n == 1 ? b(i) : n == 2 ? b(i) & 0x1F : n == 3 ? b(i) & 0x0F : b(i) & 0x07;
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b(i + k) & 0x3F);
    return cp;
}

}  // namespace

std::string json_string(std::string_view s) {
    std::string out = "\"";
    char buf[8];
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        std::uint32_t cp = code_point(s, i, n);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
                   (cp >= 0x2066 && cp <= 0x2069)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", cp);  // controls, C1 and bidi overrides too
            out += buf;
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out + "\"";
}

std::string csv_field(std::string_view s, bool is_number) {
    std::string v = escape_text(s);
    // A spreadsheet runs a cell that starts like a formula: make it text.
    if (!is_number && !v.empty() && std::string_view("=+-@").find(v[0]) != std::string_view::npos) v.insert(0, "'");
    if (v.find_first_of(",\"") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
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
        {"cgroup", p ? p->p.cgroup : std::string(), false},
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
        out += csv_field(f.value, f.is_number);
    }
    return out;
}

}  // namespace sockowner
