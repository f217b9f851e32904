// Hours of one host's traffic, as a pcap and the journal a collector would have
// written for it (through the real JournalWriter), for bench/plugin_memory.sh:
//
//   - LONG loopback connections (client "worker" 127.0.0.1:30000+k to "server" on
//     127.0.0.1:8080), open for the whole capture, carry most packets, both ends owned;
//   - every 100 ms a short connection of "fetch" (10.0.0.1, its own port) to a remote
//     host of its own (198.18.x.y:443): four packets in 3 ms, then never again, so
//     that a plugin keeping every flow would grow with the capture's length.
//
// usage: plugin_long_capture OUT.pcap OUT.db PACKETS HOURS [LONG=200]
#include "writer.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace sockowner;

namespace {

constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kT0 = 1'767'225'600 * kSec;  // 2026-01-01T00:00:00Z, as in the other generators
constexpr TimeNs kShortEvery = kSec / 10;
constexpr std::uint8_t FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

// Classic pcap, Ethernet frames with IPv4 and TCP (checksums left 0: Wireshark does
// not check them by default).
class PcapWriter {
public:
    explicit PcapWriter(const char* path) : f_(std::fopen(path, "wb")) {
        if (!f_) throw std::runtime_error(std::string(path) + ": " + std::strerror(errno));
        const std::uint32_t header[] = {0xa1b23c4d, 0x00040002, 0, 0, 65535, 1};  // nanosecond pcap, Ethernet
        std::fwrite(header, sizeof header, 1, f_);
    }
    ~PcapWriter() { std::fclose(f_); }

    void tcp(TimeNs t, std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
             std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint16_t payload) {
        std::uint8_t frame[14 + 20 + 20 + 64] = {};
        frame[12] = 0x08;  // IPv4
        std::uint8_t* ip = frame + 14;
        ip[0] = 0x45;
        put16(ip + 2, std::uint16_t(40 + payload));
        ip[8] = 64;
        ip[9] = 6;
        put32(ip + 12, src);
        put32(ip + 16, dst);
        std::uint8_t* th = ip + 20;
        put16(th, sport);
        put16(th + 2, dport);
        put32(th + 4, seq);
        put32(th + 8, ack);
        th[12] = 5 << 4;
        th[13] = flags;
        put16(th + 14, 65535);
        std::uint32_t len = 54 + payload;
        const std::uint32_t rec[] = {std::uint32_t(t / kSec), std::uint32_t(t % kSec), len, len};
        std::fwrite(rec, sizeof rec, 1, f_);
        std::fwrite(frame, len, 1, f_);
    }

private:
    static void put16(std::uint8_t* p, std::uint16_t v) { p[0] = std::uint8_t(v >> 8), p[1] = std::uint8_t(v); }
    static void put32(std::uint8_t* p, std::uint32_t v) { put16(p, std::uint16_t(v >> 16)), put16(p + 2, std::uint16_t(v)); }
    std::FILE* f_;
};

ProcessInfo process(int pid, const char* comm) {
    ProcessInfo p;
    p.pid = pid;
    p.start_ticks = std::uint64_t(pid);
    p.start_time = kT0 - 10 * kSec;
    p.ppid = 1;
    p.user = "root";
    p.comm = comm;
    p.exe = std::string("/usr/bin/") + comm;
    p.cmdline = comm;
    return p;
}

SocketRecord sock(std::uint32_t local, std::uint16_t lport, std::uint32_t remote, std::uint16_t rport, TimeNs opened) {
    SocketRecord s;
    s.proto = Proto::tcp;
    s.family = 4;
    s.local = {IpAddr::v4(htonl(local)), lport};
    s.remote = {IpAddr::v4(htonl(remote)), rport};
    s.opened = opened;
    s.source = "ebpf";
    return s;
}

constexpr std::uint32_t kLo = 0x7f000001, kHost = 0x0a000001;
std::uint32_t remote_of(long j) { return 0xc6120000u | std::uint32_t(j & 0xffff); }  // 198.18.x.y
std::uint16_t port_of(long j) { return std::uint16_t(40000 + j % 20000); }

void write(const char* pcap_path, const char* db_path, long packets, double hours, int long_flows) {
    TimeNs duration = TimeNs(hours * 3600) * kSec;
    long shorts = long(duration / kShortEvery);
    long long_packets = packets - 4 * shorts;
    if (long_packets < long_flows) throw std::runtime_error("too few packets for that many hours");

    WriterOptions opt;
    opt.max_batch = 100000;
    JournalWriter w(db_path, opt);
    w.begin_run("ebpf", "plugin_long_capture", kT0 - kSec);
    auto server = process(50, "server");
    w.open_socket(sock(0, 8080, 0, 0, kT0 - 5 * kSec), server);
    for (int k = 0; k < long_flows; ++k) {
        w.open_socket(sock(kLo, std::uint16_t(30000 + k), kLo, 8080, kT0), process(1000 + k, "worker"));
        w.open_socket(sock(kLo, 8080, kLo, std::uint16_t(30000 + k), kT0 + 1000), server);
    }
    for (long j = 0; j < shorts; ++j) {
        TimeNs t = kT0 + kSec + j * kShortEvery;
        auto id = w.open_socket(sock(kHost, port_of(j), remote_of(j), 443, t), process(20000 + int(j % 1000), "fetch"));
        w.close_socket(id, t + 3'000'000);
    }
    w.end_run(kT0 + duration + 2 * kSec);
    w.close();

    PcapWriter pcap(pcap_path);
    std::vector<std::uint32_t> seq(std::size_t(2 * long_flows), 1000);
    TimeNs step = duration / long_packets;
    long next_packet = 0;  // of the short connections: 4 each
    for (long i = 0; i < long_packets; ++i) {
        TimeNs t = kT0 + kSec + i * step;
        // The short connections' packets due by now, one at a time, in time order.
        for (;; ++next_packet) {
            long j = next_packet / 4;
            TimeNs s = kT0 + kSec + j * kShortEvery + (next_packet % 4) * 1'000'000;
            if (j >= shorts || s > t) break;
            std::uint32_t r = remote_of(j);
            std::uint16_t p = port_of(j);
            switch (next_packet % 4) {
                case 0: pcap.tcp(s, kHost, p, r, 443, SYN, 100, 0, 0); break;
                case 1: pcap.tcp(s, r, 443, kHost, p, SYN | ACK, 500, 101, 0); break;
                case 2: pcap.tcp(s, kHost, p, r, 443, PSH | ACK, 101, 501, 20); break;
                case 3: pcap.tcp(s, kHost, p, r, 443, FIN | ACK, 121, 501, 0); break;
            }
        }
        int k = int(i % long_flows);
        bool from_server = (i / long_flows) % 2;
        std::uint32_t& mine = seq[std::size_t(2 * k + from_server)];
        std::uint32_t theirs = seq[std::size_t(2 * k + !from_server)];
        auto cport = std::uint16_t(30000 + k);
        if (from_server)
            pcap.tcp(t, kLo, 8080, kLo, cport, PSH | ACK, mine, theirs, 40);
        else
            pcap.tcp(t, kLo, cport, kLo, 8080, PSH | ACK, mine, theirs, 40);
        mine += 40;
    }
    std::printf("%ld packets over %.1f h: %d long connections, %ld short ones\n", long_packets + next_packet, hours,
                long_flows, next_packet / 4);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: plugin_long_capture OUT.pcap OUT.db PACKETS HOURS [LONG=200]\n");
        return 2;
    }
    try {
        write(argv[1], argv[2], std::atol(argv[3]), std::atof(argv[4]), argc > 5 ? std::atoi(argv[5]) : 200);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plugin_long_capture: %s\n", e.what());
        return 1;
    }
    return 0;
}
