// Writes journals for the plugin's tests and benchmark through the real JournalWriter:
//
//   plugin_journal_gen fixture OUT.db
//       the sockets and processes behind make_fixture_pcap.py's packets (same times);
//   plugin_journal_gen synthetic OUT.db FLOWS EXTRA [HISTORY]
//       FLOWS loopback connections as bench/plugin_make_capture.py sends them, plus
//       EXTRA unrelated TCP connections (to measure loading a large journal), plus
//       HISTORY intervals of the week before (the same ports used by other processes,
//       an earlier server, 1 in 100 connections lasting two hours).
#include "writer.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace sockowner;

namespace {

constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kT0 = 1'767'225'600 * kSec;  // 2026-01-01T00:00:00Z, as in the pcap scripts

TimeNs at(double seconds) { return kT0 + TimeNs(seconds * 1e3) * kMs; }

Endpoint ep(const char* text) {
    auto e = parse_endpoint(text);
    if (!e) {
        std::fprintf(stderr, "bad endpoint %s\n", text);
        std::exit(2);
    }
    return *e;
}

struct Proc {
    int pid;
    std::uint64_t ticks;
    const char *comm, *user;
    std::uint32_t uid;
    int ppid;
    const char *exe, *cmdline, *container;
};

ProcessInfo info(const Proc& p, TimeNs start) {
    ProcessInfo i;
    i.pid = p.pid;
    i.start_ticks = p.ticks;
    i.start_time = start;
    i.ppid = p.ppid;
    i.uid = i.gid = p.uid;
    i.user = p.user;
    i.comm = p.comm;
    i.exe = p.exe;
    i.cmdline = p.cmdline;
    i.container = p.container;
    return i;
}

SocketRecord sock(Proto proto, const char* local, const char* remote, double opened, const char* source = "procfs") {
    SocketRecord s;
    s.proto = proto;
    s.local = ep(local);
    s.remote = ep(remote);
    s.family = s.local.addr.family();
    s.source = source;
    s.opened = at(opened);
    return s;
}

void fixture(const std::string& path) {
    JournalWriter w(path);
    // The collector ran from T0 to T0+100 s; the capture goes on after that.
    w.begin_run("procfs", "fixture", at(0));
    const TimeNs boot = at(-1000);
    auto proc = [&](const Proc& p) { return info(p, boot + TimeNs(p.ticks) * 10 * kMs); };

    auto curl = proc({4242, 1000, "curl", "alice", 1000, 999, "/usr/bin/curl", "curl -s http://127.0.0.1:8000/", ""});
    auto http = proc({17, 500, "python3", "alice", 1000, 1, "/usr/bin/python3.11", "python3 -m http.server 8000", ""});
    auto wget = proc({5000, 2000, "wget", "bob", 1001, 999, "/usr/bin/wget", "wget http://192.0.2.10/", ""});
    auto dnsmasq = proc({6000, 100, "dnsmasq", "nobody", 65534, 1, "/usr/sbin/dnsmasq", "dnsmasq -k", ""});
    auto unbound = info({6000, 104500, "unbound", "unbound", 101, 1, "/usr/sbin/unbound", "unbound -d",
                         "4f1c2a9e8b7d"}, at(45));
    auto firefox = proc({7000, 3000, "firefox", "alice", 1000, 999, "/usr/lib/firefox/firefox", "firefox", ""});
    auto resolved = proc({300, 50, "systemd-resolve", "systemd-resolve", 990, 1, "/usr/lib/systemd/systemd-resolved",
                          "/usr/lib/systemd/systemd-resolved", ""});
    auto ping = proc({8000, 4000, "ping", "alice", 1000, 999, "/usr/bin/ping", "ping 192.0.2.10", ""});
    auto ping_lo = proc({8001, 4001, "ping", "alice", 1000, 999, "/usr/bin/ping", "ping 127.0.0.1", ""});
    auto ping6 = proc({8002, 4002, "ping", "alice", 1000, 999, "/usr/bin/ping", "ping ::1", ""});
    auto udp_server = proc({9000, 5000, "python3", "alice", 1000, 999, "/usr/bin/python3.11", "python3 udp_server.py", ""});
    auto udp_client = proc({9001, 5001, "python3", "alice", 1000, 999, "/usr/bin/python3.11", "python3 udp_client.py", ""});
    auto curl2 = proc({4243, 6000, "curl", "alice", 1000, 999, "/usr/bin/curl", "curl http://127.0.0.1:9/", ""});
    auto dig = proc({9100, 6100, "dig", "alice", 1000, 999, "/usr/bin/dig", "dig -p 33434 @192.0.2.10", ""});
    auto nc = proc({9300, 6200, "nc", "alice", 1000, 999, "/usr/bin/nc", "nc -u 127.0.0.1 7", ""});
    auto telnet = proc({9400, 6300, "telnet", "alice", 1000, 999, "/usr/bin/telnet", "telnet 192.0.2.10 81", ""});
    auto ssh = proc({9200, 6400, "ssh", "alice", 1000, 999, "/usr/bin/ssh", "ssh 172.16.0.2", ""});

    // Loopback HTTP: listener, client, accepted connection.
    w.open_socket(sock(Proto::tcp, "0.0.0.0:8000", "0.0.0.0:0", 1.0), http);
    w.close_socket(w.open_socket(sock(Proto::tcp, "127.0.0.1:40000", "127.0.0.1:8000", 2.0, "ebpf"), curl), at(2.5));
    w.close_socket(w.open_socket(sock(Proto::tcp, "127.0.0.1:8000", "127.0.0.1:40000", 2.001, "ebpf"), http), at(2.6));
    // Port reuse: the same client tuple, first curl's, later wget's.
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:40001", "192.0.2.10:80", 10.0), curl), at(12.0));
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:40001", "192.0.2.10:80", 30.0), wget), at(31.0));
    // PID reuse: pid 6000 is dnsmasq until T0+40 s, unbound from T0+45 s.
    w.close_socket(w.open_socket(sock(Proto::udp, "10.0.0.1:4000", "0.0.0.0:0", 0.5), dnsmasq), at(40.0));
    w.process_exited({dnsmasq.pid, dnsmasq.start_ticks}, at(40.0));
    w.open_socket(sock(Proto::udp, "0.0.0.0:4000", "0.0.0.0:0", 45.5, "ebpf"), unbound);
    // IPv6 TCP.
    w.close_socket(w.open_socket(sock(Proto::tcp, "[2001:db8::1]:50000", "[2001:db8::99]:443", 5.0), firefox), at(6.0));
    // Connected UDP, seen 0.4 s after its first packet (within the slack).
    w.close_socket(w.open_socket(sock(Proto::udp, "10.0.0.1:53000", "192.0.2.53:53", 7.0), resolved), at(7.2));
    // Ping sockets: the port is the echo identifier.
    w.close_socket(w.open_socket(sock(Proto::icmp, "0.0.0.0:4660", "0.0.0.0:0", 8.0), ping), at(9.0));
    w.close_socket(w.open_socket(sock(Proto::icmp, "0.0.0.0:8738", "0.0.0.0:0", 8.5), ping_lo), at(9.5));
    w.close_socket(w.open_socket(sock(Proto::icmpv6, "[::]:13107", "[::]:0", 9.0), ping6), at(9.6));
    // Loopback UDP between two unconnected sockets.
    w.open_socket(sock(Proto::udp, "127.0.0.1:9999", "0.0.0.0:0", 11.0), udp_server);
    w.close_socket(w.open_socket(sock(Proto::udp, "127.0.0.1:45000", "0.0.0.0:0", 11.5), udp_client), at(13.0));
    // A connection to a closed port (the kernel answers RST).
    w.close_socket(w.open_socket(sock(Proto::tcp, "127.0.0.1:40010", "127.0.0.1:9", 14.0), curl2), at(14.01));
    // UDP to closed ports: a remote host and the local kernel answer port unreachable.
    w.close_socket(w.open_socket(sock(Proto::udp, "10.0.0.1:45001", "192.0.2.10:33434", 15.0), dig), at(15.5));
    w.close_socket(w.open_socket(sock(Proto::udp, "127.0.0.1:45002", "127.0.0.1:7", 16.0), nc), at(16.5));
    // A remote host's RST: not ours to call kernel.
    w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:40020", "192.0.2.10:81", 17.0), telnet), at(17.1));
    // Inside an IP-in-IP tunnel.
    w.open_socket(sock(Proto::tcp, "172.16.0.1:41000", "172.16.0.2:22", 18.0), ssh);
    w.end_run(at(100));
}

// Flow i: client 127.0.0.1:(20000 + i % 40000) -> 127.0.0.1:8080 at T0 + i ms, 4 ms long;
// a listener on 8080 owned by "server"; clients are "client" with pid 100000 + i % 5000.
// The week before at(0): what the same host kept with --retain 7d.
void history(JournalWriter& w, long n) {
    constexpr double kWeek = 7 * 86400;
    w.begin_run("ebpf", "synthetic history", at(-kWeek - 1));
    Proc old_server{40, 40, "server", "root", 0, 1, "/usr/bin/server", "server --port 8080 --old", ""};
    auto listener = w.open_socket(sock(Proto::tcp, "0.0.0.0:8080", "0.0.0.0:0", -kWeek), info(old_server, at(-kWeek - 10)));
    char local[64];
    for (long i = 0; i < n; ++i) {
        double t = -kWeek + kWeek * double(i) / double(n);
        int pid = 300000 + int(i % 20000);
        Proc c{pid, std::uint64_t(pid), "old-client", "root", 0, 1, "/usr/bin/old-client", "old-client", ""};
        bool long_lived = i % 100 == 0;
        if (long_lived)
            std::snprintf(local, sizeof local, "10.0.0.1:%ld", 1024 + i % 60000);
        else
            std::snprintf(local, sizeof local, "127.0.0.1:%d", 20000 + int(i % 40000));
        auto id = w.open_socket(sock(Proto::tcp, local, long_lived ? "198.18.0.1:443" : "127.0.0.1:8080", t),
                                info(c, at(t - 1)));
        w.close_socket(id, at(t + (long_lived ? 7200 : 1)));
    }
    w.close_socket(listener, at(-60));
    w.end_run(at(-30));
}

void synthetic(const std::string& path, long flows, long extra, long past) {
    WriterOptions opt;
    opt.max_batch = 100000;
    JournalWriter w(path, opt);
    if (past > 0) history(w, past);
    w.begin_run("procfs", "synthetic", at(0));
    Proc server{50, 50, "server", "root", 0, 1, "/usr/bin/server", "server --port 8080", ""};
    auto srv = info(server, at(-10));
    w.open_socket(sock(Proto::tcp, "0.0.0.0:8080", "0.0.0.0:0", -1.0), srv);
    char local[64], remote[64];
    for (long i = 0; i < flows; ++i) {
        int port = 20000 + int(i % 40000);
        int pid = 100000 + int(i % 5000);
        Proc c{pid, std::uint64_t(pid), "client", "root", 0, 1, "/usr/bin/client", "client", ""};
        auto client = info(c, at(-5));
        double t = double(i) / 1000;
        std::snprintf(local, sizeof local, "127.0.0.1:%d", port);
        std::snprintf(remote, sizeof remote, "127.0.0.1:8080");
        w.close_socket(w.open_socket(sock(Proto::tcp, local, remote, t), client), at(t + 0.004));
        w.close_socket(w.open_socket(sock(Proto::tcp, remote, local, t + 0.0005), srv), at(t + 0.004));
    }
    // A busy host's other connections: its address to many remote ones, 1 s each.
    for (long i = 0; i < extra; ++i) {
        Proc c{int(200000 + i % 20000), std::uint64_t(200000 + i % 20000), "other", "root", 0, 1, "/usr/bin/other", "other", ""};
        std::snprintf(local, sizeof local, "10.0.0.1:%ld", 1024 + i % 60000);
        std::snprintf(remote, sizeof remote, "198.18.%ld.%ld:443", (i >> 8) & 255, i & 255);
        double t = double(i) / 1e4;
        w.close_socket(w.open_socket(sock(Proto::tcp, local, remote, t), info(c, at(-5))), at(t + 1));
    }
    w.end_run(at(double(flows) / 1000 + 10));
}

}  // namespace

int main(int argc, char** argv) {
    try {
        std::string_view mode = argc > 2 ? argv[1] : "";
        if (mode == "fixture" && argc == 3) {
            fixture(argv[2]);
            return 0;
        }
        if (mode == "synthetic" && (argc == 5 || argc == 6)) {
            synthetic(argv[2], std::atol(argv[3]), std::atol(argv[4]), argc == 6 ? std::atol(argv[5]) : 0);
            return 0;
        }
        std::fprintf(stderr, "usage: plugin_journal_gen fixture OUT.db | synthetic OUT.db FLOWS EXTRA [HISTORY]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plugin_journal_gen: %s\n", e.what());
        return 1;
    }
}
