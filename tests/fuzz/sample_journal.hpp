// A small journal written by the real JournalWriter: the packet target attributes its
// packets against it, and the journal target's seed corpus starts from it. Hosts
// 10.0.0.1 and 2001:db8::1 (and loopback), one collector run from kT0 to kT0 + 100 s.
#pragma once

#include "writer.hpp"

#include <string>

namespace sockowner::fuzz {

inline constexpr TimeNs kSec = 1'000'000'000;
inline constexpr TimeNs kT0 = 1'800'000'000 * kSec;

inline ProcessInfo sample_process(int pid, std::uint64_t ticks, const char* comm, const char* cmdline) {
    ProcessInfo p;
    p.pid = pid;
    p.start_ticks = ticks;
    p.start_time = kT0 - 1000 * kSec + TimeNs(ticks) * 10'000'000;
    p.ppid = 1;
    p.uid = p.gid = 1000;
    p.user = "alice";
    p.comm = comm;
    p.exe = std::string("/usr/bin/") + comm;
    p.cmdline = cmdline;
    p.cgroup = "/user.slice/user-1000.slice/session-1.scope";
    return p;
}

inline SocketRecord sample_socket(Proto proto, const char* local, const char* remote, TimeNs opened,
                                  const char* source = "procfs") {
    SocketRecord s;
    s.proto = proto;
    s.local = *parse_endpoint(local);
    s.remote = *parse_endpoint(remote);
    s.family = s.local.addr.family();
    s.source = source;
    s.opened = opened;
    s.cookie = std::uint64_t(opened / kSec);
    s.netns = 4026531840u;
    return s;
}

inline void write_sample_journal(const std::string& path) {
    JournalWriter w(path);
    w.begin_run("procfs", "fuzz seed", kT0);
    auto curl = sample_process(4242, 1000, "curl", "curl -s http://10.0.0.2/");
    auto http = sample_process(17, 500, "python3", "python3 -m http.server 8000");
    auto dns = sample_process(6000, 100, "dnsmasq", "dnsmasq -k");
    auto ping = sample_process(8001, 2000, "ping", "ping -c1 10.0.0.2");
    auto rawping = sample_process(70000, 2100, "ping", "ping -c1 192.0.2.1");
    auto monitor = sample_process(900, 50, "monitor", "monitor --icmp");
    auto child = sample_process(200, 600, "worker", "worker");
    child.ppid = 17;
    child.container = std::string(64, 'a');
    child.cgroup = "/system.slice/docker-" + child.container + ".scope";
    // What a process may call itself: terminal escapes, a formula, invalid UTF-8.
    auto odd = sample_process(31337, 3000, "\x1b]0;pwn\x07", "=HYPERLINK(\"http://x\") \xff\xfe\r\n");
    odd.exe = "/tmp/\x1b[2J";

    auto c = w.open_socket(sample_socket(Proto::tcp, "10.0.0.1:40000", "10.0.0.2:80", kT0 + kSec), curl);
    w.close_socket(c, kT0 + 2 * kSec);
    w.open_socket(sample_socket(Proto::tcp, "0.0.0.0:80", "0.0.0.0:0", kT0), http);
    auto a = w.open_socket(sample_socket(Proto::tcp, "10.0.0.1:80", "10.0.0.2:5000", kT0 + 10 * kSec, "ebpf"), http);
    w.set_owner(a, child);
    w.open_socket(sample_socket(Proto::tcp, "[::]:8000", "[::]:0", kT0, "iterator"), http);
    w.open_socket(sample_socket(Proto::tcp, "[::1]:8000", "[::1]:45000", kT0 + 3 * kSec, "ebpf"), http);
    w.open_socket(sample_socket(Proto::tcp, "[::1]:45000", "[::1]:8000", kT0 + 3 * kSec, "ebpf"), curl);
    w.open_socket(sample_socket(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0), dns);
    auto u = w.open_socket(sample_socket(Proto::udp, "10.0.0.1:5353", "10.0.0.2:53", kT0 + 5 * kSec), dns);
    w.close_socket(u, kT0 + 6 * kSec);
    w.open_socket(sample_socket(Proto::udp, "[2001:db8::1]:5000", "[::]:0", kT0 + kSec, "ebpf"), odd);
    w.open_socket(sample_socket(Proto::icmp, "0.0.0.0:7", "0.0.0.0:0", kT0 + kSec, "ebpf"), ping);
    w.open_socket(sample_socket(Proto::icmpv6, "[::]:9", "[::]:0", kT0 + kSec, "ebpf"), ping);
    w.open_socket(sample_socket(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0 + kSec, "ebpf"), rawping);
    w.open_socket(sample_socket(Proto::raw, "0.0.0.0:1", "0.0.0.0:0", kT0, "procfs-shared"), monitor);
    w.process_exited(ProcessKey::of(curl), kT0 + 4 * kSec);
    w.set_counter("events", 42);
    w.set_counter("lost_events", 0);
    w.end_run(kT0 + 100 * kSec);
}

}  // namespace sockowner::fuzz
