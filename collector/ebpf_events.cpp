#include "ebpf_events.hpp"

#include "sockowner_abi.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

namespace sockowner::ebpf {

namespace {

KOwner owner_of(const so_owner& o) {
    KOwner k;
    k.tgid = std::int32_t(o.tgid);
    k.ppid = std::int32_t(o.ppid);
    k.uid = o.uid;
    k.gid = o.gid;
    k.exec_id = o.exec_id;
    k.start_ns = o.start_ns;
    k.cgroup_id = o.cgroup_id;
    k.comm.assign(o.comm, strnlen(o.comm, sizeof o.comm));
    return k;
}

IpAddr addr_of(int family, const __u32 words[4]) {
    if (family == AF_INET) return IpAddr::v4(words[0]);
    std::uint8_t bytes[16];
    std::memcpy(bytes, words, 16);
    return IpAddr::v6(bytes);  // v4-mapped become IPv4
}

std::optional<KTuple> tuple_of(const so_tuple& t) {
    auto proto = classify(t.protocol, t.sock_type);
    if (!proto || (t.family != AF_INET && t.family != AF_INET6)) return std::nullopt;
    KTuple k;
    k.proto = *proto;
    k.family = t.family == AF_INET ? 4 : 6;
    k.local = {addr_of(t.family, t.laddr), t.lport};
    k.remote = {addr_of(t.family, t.raddr), t.rport};
    if (k.remote.port == 0 && *proto != Proto::icmp && *proto != Proto::icmpv6 && *proto != Proto::raw) {
        static const __u32 zero[4] = {};
        k.remote = {addr_of(t.family, zero), 0};  // not connected: 0.0.0.0:0 or [::]:0
    }
    return k;
}

template <typename T>
bool fits(std::size_t size) {
    return size >= sizeof(T);
}

std::string join_args(const char* args, std::size_t len) {
    std::string s(args, len);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    for (auto& c : s)
        if (c == '\0') c = ' ';
    return s;
}

}  // namespace

std::optional<Proto> classify(int protocol, int sock_type) {
    if (sock_type == SOCK_RAW) return Proto::raw;
    if (protocol == IPPROTO_TCP && sock_type == SOCK_STREAM) return Proto::tcp;
    if ((protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE) && sock_type == SOCK_DGRAM) return Proto::udp;
    if (protocol == IPPROTO_ICMP && sock_type == SOCK_DGRAM) return Proto::icmp;
    if (protocol == IPPROTO_ICMPV6 && sock_type == SOCK_DGRAM) return Proto::icmpv6;
    return std::nullopt;  // SCTP, MPTCP, ...
}

std::uint64_t ns_to_ticks(std::uint64_t ns) {
    static const long hz = [] {
        long v = sysconf(_SC_CLK_TCK);
        return v > 0 ? v : 100;
    }();
    return ns / (1'000'000'000ull / std::uint64_t(hz));
}

std::optional<Event> decode_event(const void* data, std::size_t size) {
    if (size < sizeof(__u32)) return std::nullopt;
    __u32 type;
    std::memcpy(&type, data, sizeof type);
    switch (type) {
        case SO_EV_SOCKET:
        case SO_EV_ACCEPT: {
            if (!fits<so_socket_event>(size)) return std::nullopt;
            so_socket_event e;
            std::memcpy(&e, data, sizeof e);
            auto t = tuple_of(e.tuple);
            if (!t) return std::nullopt;
            SocketEvent s;
            s.accept = type == SO_EV_ACCEPT;
            s.inherited = e.flags & SO_F_INHERITED;
            s.ts = e.ts;
            s.since = e.since;
            s.sk = e.sk;
            s.cookie = e.cookie;
            s.netns = e.netns;
            s.tuple = *t;
            s.owner = owner_of(e.owner);
            return s;
        }
        case SO_EV_CLOSE: {
            if (!fits<so_close_event>(size)) return std::nullopt;
            so_close_event e;
            std::memcpy(&e, data, sizeof e);
            return CloseEvent{e.ts, e.sk, e.cookie};
        }
        case SO_EV_EXEC: {
            if (!fits<so_exec_event>(size)) return std::nullopt;
            auto e = std::make_unique<so_exec_event>();
            std::memcpy(e.get(), data, sizeof *e);
            ExecEvent x;
            x.ts = e->ts;
            x.owner = owner_of(e->owner);
            x.path.assign(e->path, std::min<std::size_t>(e->path_len, sizeof e->path));
            x.cmdline = join_args(e->args, std::min<std::size_t>(e->args_len, sizeof e->args));
            return x;
        }
        case SO_EV_EXIT: {
            if (!fits<so_exit_event>(size)) return std::nullopt;
            so_exit_event e;
            std::memcpy(&e, data, sizeof e);
            return ExitEvent{e.ts, e.start_ns, std::int32_t(e.tgid)};
        }
    }
    return std::nullopt;
}

std::vector<IterRecord> decode_iter_records(std::string_view bytes) {
    std::vector<IterRecord> out;
    for (std::size_t off = 0; off + sizeof(so_iter_record) <= bytes.size(); off += sizeof(so_iter_record)) {
        so_iter_record r;
        std::memcpy(&r, bytes.data() + off, sizeof r);
        auto t = tuple_of(r.tuple);
        if (!t) continue;
        IterRecord i;
        i.sk = r.sk;
        i.cookie = r.cookie;
        i.inode = r.inode;
        i.netns = r.netns;
        i.tuple = *t;
        if (r.flags & SO_F_OWNED) i.owner = owner_of(r.owner);
        i.inherited = r.flags & SO_F_INHERITED;
        out.push_back(std::move(i));
    }
    return out;
}

}  // namespace sockowner::ebpf
