#include "types.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sockowner {

namespace {
constexpr std::array<std::string_view, 5> kProtoNames{"tcp", "udp", "icmp", "icmpv6", "raw"};

bool is_v4_mapped(const std::uint8_t b[16]) {
    static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(b, prefix, sizeof prefix) == 0;
}
}  // namespace

std::string_view proto_name(Proto p) { return kProtoNames.at(static_cast<std::size_t>(p)); }

std::optional<Proto> parse_proto(std::string_view s) {
    for (std::size_t i = 0; i < kProtoNames.size(); ++i)
        if (kProtoNames[i] == s) return static_cast<Proto>(i);
    if (s == "icmp6") return Proto::icmpv6;
    return std::nullopt;
}

IpAddr IpAddr::v6(const std::uint8_t bytes[16]) {
    IpAddr a;
    if (is_v4_mapped(bytes)) {
        std::memcpy(a.bytes_.data(), bytes + 12, 4);
        return a;
    }
    a.family_ = 6;
    std::memcpy(a.bytes_.data(), bytes, 16);
    return a;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN] = {};
    if (!text.empty()) std::memcpy(buf, text.data(), text.size());  // a NULL column's view has no data()
    std::uint8_t raw[16];
    if (inet_pton(AF_INET, buf, raw) == 1) {
        std::uint32_t v;
        std::memcpy(&v, raw, 4);
        return v4(v);
    }
    if (inet_pton(AF_INET6, buf, raw) == 1) return v6(raw);
    return std::nullopt;
}

std::string IpAddr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (family_ == 4) {  // the writer's every row: glibc's inet_ntop formats IPv4 through sprintf
        char* p = buf;
        for (int i = 0; i < 4; ++i) {
            if (i) *p++ = '.';
            p = std::to_chars(p, buf + sizeof buf, bytes_[std::size_t(i)]).ptr;
        }
        return std::string(buf, p);
    }
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs []
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
        return std::nullopt;
    auto addr = IpAddr::parse(host);
    if (!addr) return std::nullopt;
    return Endpoint{*addr, static_cast<std::uint16_t>(value)};
}

std::string format_endpoint(const Endpoint& e) {
    auto a = e.addr.to_string();
    if (e.addr.family() == 6) a = "[" + a + "]";
    return a + ":" + std::to_string(e.port);
}

}  // namespace sockowner
