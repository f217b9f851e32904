// The rules that turn a packet into one question per side: which socket to look up,
// or whether the side is the kernel itself. No journal needed: just the packet.
#pragma once

#include "owner_index.hpp"
#include "packet_headers.hpp"

namespace sockowner::attribution {

struct SidePlan {
    enum class Rule : std::uint8_t {
        none,    // nothing to attribute (ICMP other than echo and errors)
        lookup,  // the socket whose local end is query.local and remote end query.remote
        kernel,  // the kernel of the host with address query.local.addr sent or took it
    };
    Rule rule = Rule::none;
    OwnerQuery query{Proto::tcp, {}, {}, 0};
    bool kernel_if_unowned = false;  // a TCP RST no socket sent: the kernel's answer to a closed port
    bool opens_flow = false;         // a TCP SYN: earlier packets on the tuple say nothing about it
    // A TCP SYN's receiver: the listening socket. The connection it becomes (and who
    // serves it later) does not exist yet, whatever the time slack would allow.
    bool to_listener = false;
    // ICMP echo with no ping socket: the sender may use a raw socket of that protocol
    // (ping without ping_group_range). Every such socket on the host sees the echo, so
    // one is named only when its process's pid is the echo id (as ping sets it).
    bool raw_echo = false;
};

struct PacketPlan {
    SidePlan src, dst;
};

// TCP/UDP: each side's socket is looked up with its own endpoint as local; the
//   sender of a SYN-ACK is the kernel (it answers before any accept()); the receiver
//   of a SYN is a listener.
// ICMP echo: the request's sender and the reply's receiver own a ping socket whose
//   port is the echo identifier (remote port 0); the other side is the kernel's
//   echo responder. Failing a ping socket, a raw ICMP socket (see raw_echo).
// ICMP error: sent by the kernel; it is for the socket that sent the quoted packet,
//   so the destination side is looked up with the quoted header's tuple.
PacketPlan plan_sides(const PacketTuple& t, TimeNs at);

// A packet both of whose sides are plain lookups: TCP without SYN or RST, UDP. Such a
// packet may take its flow's last owners (Attributor::again()).
inline bool plain_lookups(const PacketTuple& t) {
    const Transport& o = t.own;
    return o.proto == Proto::udp || (o.proto == Proto::tcp && (o.tcp_flags & (kTcpSyn | kTcpRst)) == 0);
}

}  // namespace sockowner::attribution
