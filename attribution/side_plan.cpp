#include "side_plan.hpp"

namespace sockowner::attribution {

namespace {

SidePlan lookup(Proto proto, const Endpoint& local, const Endpoint& remote, TimeNs at) {
    SidePlan p;
    p.rule = SidePlan::Rule::lookup;
    p.query = OwnerQuery{proto, local, remote, at};
    return p;
}

SidePlan kernel(Proto proto, const IpAddr& host, TimeNs at) {
    SidePlan p;
    p.rule = SidePlan::Rule::kernel;
    p.query = OwnerQuery{proto, {host, 0}, {}, at};
    return p;
}

// The ping socket of an echo request's sender: local port = identifier, remote port 0.
SidePlan ping_socket(const Transport& t, const IpAddr& local, const IpAddr& remote, TimeNs at) {
    SidePlan p = lookup(t.proto, {local, t.echo_id}, {remote, 0}, at);
    p.raw_echo = true;
    return p;
}

// The side an ICMP error is for: whoever sent the packet it quotes.
SidePlan sender_of(const Transport& q, TimeNs at) {
    switch (q.proto) {
        case Proto::tcp:
        case Proto::udp: return lookup(q.proto, q.src, q.dst, at);
        case Proto::icmp:
        case Proto::icmpv6:
            if (q.icmp == IcmpKind::echo_request) return ping_socket(q, q.src.addr, q.dst.addr, at);
            if (q.icmp == IcmpKind::echo_reply) return kernel(q.proto, q.src.addr, at);
            return {};
        case Proto::raw: return {};
    }
    return {};
}

}  // namespace

PacketPlan plan_sides(const PacketTuple& t, TimeNs at) {
    const Transport& o = t.own;
    PacketPlan plan;
    switch (o.proto) {
        case Proto::tcp:
        case Proto::udp:
            plan.src = lookup(o.proto, o.src, o.dst, at);
            plan.dst = lookup(o.proto, o.dst, o.src, at);
            if (o.proto == Proto::tcp) {
                plan.src.kernel_if_unowned = (o.tcp_flags & kTcpRst) != 0;
                bool syn = (o.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
                plan.src.opens_flow = plan.dst.opens_flow = syn;
                plan.dst.to_listener = syn;
                // The kernel answers a SYN on the listener's behalf, before any process
                // has accepted the connection: no process sent the SYN-ACK.
                if ((o.tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck)) plan.src = kernel(o.proto, o.src.addr, at);
            }
            break;
        case Proto::icmp:
        case Proto::icmpv6:
            switch (o.icmp) {
                case IcmpKind::echo_request:
                    plan.src = ping_socket(o, o.src.addr, o.dst.addr, at);
                    plan.dst = kernel(o.proto, o.dst.addr, at);
                    break;
                case IcmpKind::echo_reply:
                    plan.src = kernel(o.proto, o.src.addr, at);
                    plan.dst = ping_socket(o, o.dst.addr, o.src.addr, at);
                    break;
                case IcmpKind::error:
                    plan.src = kernel(o.proto, o.src.addr, at);
                    if (t.quoted) plan.dst = sender_of(*t.quoted, at);
                    break;
                case IcmpKind::none:
                case IcmpKind::other: break;
            }
            break;
        case Proto::raw: break;
    }
    return plan;
}

}  // namespace sockowner::attribution
