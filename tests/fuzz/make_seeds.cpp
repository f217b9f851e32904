// Writes the seed corpora under tests/fuzz/corpus/ (and the crafted journals of known
// findings under tests/fuzz/findings/journal/), so that they can be made again:
//
//   fuzz_make_seeds SOURCE_DIR OUT_DIR     (OUT_DIR/corpus/<target>/, OUT_DIR/findings/)
//
// Journals come from the real JournalWriter (sample_journal.hpp), rewritten with
// 512-byte pages so that the fuzzer mutates small files, then damaged by hand.
#include "fuzz_input.hpp"
#include "frames.hpp"
#include "sample_journal.hpp"
#include "sockowner_abi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace sockowner;
using namespace sockowner::test;
using namespace sockowner::fuzz;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

fs::path out_dir;

void save(const std::string& rel, const Bytes& b) {
    fs::path p = out_dir / rel;
    fs::create_directories(p.parent_path());
    fuzz::write_file(p.string(), b);
}

Bytes read_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

void sql(const fs::path& db, const std::string& text) {
    sqlite3* h = nullptr;
    char* err = nullptr;
    if (sqlite3_open(db.c_str(), &h) != SQLITE_OK || sqlite3_exec(h, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::fprintf(stderr, "%s: %s\n%s\n", db.c_str(), err ? err : sqlite3_errmsg(h), text.c_str());
        std::exit(1);
    }
    sqlite3_close(h);
}

// Small pages, rollback mode (no -wal or -shm files), and nothing of the machine
// that made the journal: the same bytes wherever it is made.
void normalise(const fs::path& p) {
    sql(p, R"sql(
UPDATE hosts SET hostname = 'seed', machine_id = '0123456789abcdef0123456789abcdef',
                 boot_id = '01234567-89ab-cdef-0123-456789abcdef', kernel = '6.1.0-fuzz',
                 first_seen = (SELECT coalesce(min(started), 1800000000000000000) FROM runs);
UPDATE runs SET pid = 1234, version = 'seed';
UPDATE processes SET first_seen = start_time;
PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;
)sql");
}

fs::path sample(const fs::path& dir, const char* name) {
    fs::path p = dir / name;
    write_sample_journal(p.string());
    normalise(p);
    return p;
}

// Relaxes the tables (no NOT NULL, no types, no keys) so that any value fits.
constexpr const char* kRelax = R"sql(
CREATE TABLE s2 AS SELECT * FROM sockets; DROP TABLE sockets; ALTER TABLE s2 RENAME TO sockets;
CREATE TABLE p2 AS SELECT * FROM processes; DROP TABLE processes; ALTER TABLE p2 RENAME TO processes;
CREATE TABLE r2 AS SELECT * FROM runs; DROP TABLE runs; ALTER TABLE r2 RENAME TO runs;
CREATE TABLE c2 AS SELECT * FROM counters; DROP TABLE counters; ALTER TABLE c2 RENAME TO counters;
)sql";

void journals(const fs::path& tmp) {
    auto j = sample(tmp, "sample.db");
    save("corpus/journal/sample.db", read_bytes(j));

    auto wal = sample(tmp, "wal.db");
    sql(wal, "PRAGMA journal_mode = WAL;");
    save("corpus/journal/wal.db", read_bytes(wal));

    fs::path empty = tmp / "empty.db";
    { JournalWriter w(empty.string()); }
    normalise(empty);
    save("corpus/journal/empty.db", read_bytes(empty));

    // Schema version 3: an index on every socket row's seq, no sockets.changed (its
    // feed follows seq).
    constexpr const char* kBackTo3 =
        "DROP INDEX sockets_changed; ALTER TABLE sockets DROP COLUMN changed; "
        "CREATE INDEX sockets_by_seq ON sockets (seq); ";
    auto v3 = sample(tmp, "v3.db");
    sql(v3, std::string(kBackTo3) + "PRAGMA user_version = 3; VACUUM;");
    save("corpus/journal/v3.db", read_bytes(v3));

    // Schema version 1: no sockets.inode (nor what versions 3 and 4 added).
    auto v1 = sample(tmp, "v1.db");
    sql(v1, std::string(kBackTo3) + "ALTER TABLE sockets DROP COLUMN inode; "
            "ALTER TABLE processes DROP COLUMN socket_refs; PRAGMA user_version = 1; VACUUM;");
    save("corpus/journal/v1.db", read_bytes(v1));

    auto newer = sample(tmp, "newer.db");
    sql(newer, "PRAGMA user_version = 99;");
    save("corpus/journal/newer.db", read_bytes(newer));

    // Bytes damaged: a truncated file, and one with a page of garbage.
    Bytes b = read_bytes(j);
    save("corpus/journal/truncated.db", Bytes(b.begin(), b.begin() + std::ptrdiff_t(b.size() / 2)));
    Bytes garbage = b;
    for (std::size_t i = 3 * 512; i < 4 * 512 && i < garbage.size(); ++i) garbage[i] = std::uint8_t(i * 131);
    save("corpus/journal/garbage_page.db", garbage);

    // Values the writer never writes: NULLs, wrong types, extreme times and ports.
    auto odd = sample(tmp, "odd.db");
    sql(odd, std::string(kRelax) + R"sql(
UPDATE sockets SET proto = 'tcp6', family = 'x', local_port = 70000, remote_port = -1 WHERE id = 2;
UPDATE sockets SET opened = '2026-01-01', closed = x'00ff' WHERE id = 3;
UPDATE sockets SET source = NULL, process_id = 999, seq = -5 WHERE id = 4;
UPDATE processes SET comm = NULL, user = x'00410042', cmdline = 12345, pid = 'x', exit_time = 'now' WHERE id = 2;
UPDATE runs SET version = NULL, mode = x'1b5b324a', started = 'x' WHERE id = 1;
INSERT INTO counters VALUES (1, NULL, 'x');
)sql");
    save("corpus/journal/odd_values.db", read_bytes(odd));

    // Known findings (see the report): each is replayed by the fuzz test.
    auto nul = sample(tmp, "null_address.db");
    sql(nul, std::string(kRelax) + "UPDATE sockets SET local_addr = NULL WHERE id = 1;");
    save("findings/journal/null_address.db", read_bytes(nul));

    auto extreme = sample(tmp, "extreme_times.db");
    sql(extreme, std::string(kRelax) + R"sql(
UPDATE sockets SET opened = -9223372036854775808 WHERE id = 1;
UPDATE sockets SET opened = 0, closed = 9223372036854775807 - 1 WHERE id = 2;
)sql");
    save("findings/journal/extreme_times.db", read_bytes(extreme));

    auto sparse = sample(tmp, "sparse_id.db");
    sql(sparse, "UPDATE sockets SET id = 2147483647 WHERE id = 3;");
    save("findings/journal/sparse_id.db", read_bytes(sparse));

    auto view = sample(tmp, "recursive_view.db");
    sql(view, R"sql(
ALTER TABLE sockets RENAME TO sockets_rows;
CREATE VIEW sockets AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
  SELECT s.* FROM sockets_rows s, n;
)sql");
    save("findings/journal/recursive_view.db", read_bytes(view));
}

// One packet record of fuzz_packet's input format.
struct Packet {
    const char *src, *dst;
    int ported = 0;  // 1 tcp, 2 udp
    std::uint16_t sport = 0, dport = 0;
    TimeNs at = kT0 + 1500'000'000;
    Frame frame;
    bool live = false, new_file = false;
};

Bytes packets(const std::vector<Packet>& ps) {
    Bytes out;
    for (const Packet& p : ps) {
        IpAddr s = *IpAddr::parse(p.src), d = *IpAddr::parse(p.dst);
        bool v6 = s.family() == 6;
        out.push_back(std::uint8_t(v6 | p.ported << 1 | p.live << 3 | p.new_file << 4));
        out.insert(out.end(), s.bytes().begin(), s.bytes().begin() + (v6 ? 16 : 4));
        out.insert(out.end(), d.bytes().begin(), d.bytes().begin() + (v6 ? 16 : 4));
        auto put = [&](std::uint64_t v, int n) {
            for (int i = 0; i < n; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
        };
        put(p.sport, 2);
        put(p.dport, 2);
        put(std::uint64_t(p.at), 8);
        put(p.frame.size(), 2);
        out.insert(out.end(), p.frame.begin(), p.frame.end());
    }
    return out;
}

void packet_seeds() {
    const TimeNs t = kT0 + 1500'000'000;
    auto tcp4 = [&](const char* s, const char* d, std::uint16_t sp, std::uint16_t dp, std::uint8_t flags, TimeNs at,
                    bool live = false) {
        return Packet{s, d, 1, sp, dp, at, ethernet(ipv4(s, d, 6, tcp_header(sp, dp, flags))), live};
    };
    save("corpus/packet/tcp_flow", packets({
        tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 0x02, t),
        tcp4("10.0.0.2", "10.0.0.1", 80, 40000, 0x12, t),
        tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 0x10, t),
        tcp4("10.0.0.1", "10.0.0.2", 40000, 80, 0x11, t + 10 * kSec),
        tcp4("10.0.0.1", "10.0.0.2", 9, 5555, 0x04, t + 5 * kSec),
    }));
    save("corpus/packet/syn_to_listener_live", packets({
        tcp4("10.0.0.2", "10.0.0.1", 5000, 80, 0x02, kT0 + 10 * kSec - 1'000'000, true),
        tcp4("10.0.0.2", "10.0.0.1", 5000, 80, 0x10, kT0 + 10 * kSec + 1'000'000, true),
        tcp4("10.0.0.2", "10.0.0.1", 6000, 81, 0x10, kT0 + 20 * kSec, true),
    }));
    Packet v6{"::1", "::1", 1, 45000, 8000, kT0 + 4 * kSec,
              ethernet(ipv6("::1", "::1", 6, tcp_header(45000, 8000, 0x10)))};
    Packet udp6{"2001:db8::1", "2001:db8::2", 2, 5000, 53, kT0 + 2 * kSec,
                ethernet(ipv6("2001:db8::1", "2001:db8::2", 17, udp_header(5000, 53), true))};
    save("corpus/packet/ipv6", packets({v6, udp6}));
    Packet udp{"10.0.0.1", "10.0.0.2", 2, 5353, 53, kT0 + 5 * kSec + 1,
               ethernet(ipv4("10.0.0.1", "10.0.0.2", 17, udp_header(5353, 53), 0, 2))};
    Packet frag{"10.0.0.2", "10.0.0.1", 2, 53, 5353, kT0 + 5 * kSec + 2,
                ethernet(ipv4("10.0.0.2", "10.0.0.1", 17, Frame(16, 0xab), 100))};
    save("corpus/packet/udp_options_fragment", packets({udp, frag}));
    Packet echo{"10.0.0.1", "10.0.0.2", 0, 0, 0, kT0 + 2 * kSec, ethernet(ipv4("10.0.0.1", "10.0.0.2", 1, icmp_header(8, 0, 7)))};
    Packet reply{"10.0.0.2", "10.0.0.1", 0, 0, 0, kT0 + 2 * kSec, ethernet(ipv4("10.0.0.2", "10.0.0.1", 1, icmp_header(0, 0, 7)))};
    Packet raw{"10.0.0.1", "192.0.2.1", 0, 0, 0, kT0 + 2 * kSec,
               ethernet(ipv4("10.0.0.1", "192.0.2.1", 1, icmp_header(8, 0, 70000 & 0xffff)))};
    Packet echo6{"2001:db8::1", "2001:db8::2", 0, 0, 0, kT0 + 2 * kSec,
                 ethernet(ipv6("2001:db8::1", "2001:db8::2", 58, icmp_header(128, 0, 9)))};
    save("corpus/packet/icmp_echo", packets({echo, reply, raw, echo6}));
    auto probe = ipv4("10.0.0.1", "10.0.0.2", 17, udp_header(5353, 53));
    Packet err{"10.0.0.2", "10.0.0.1", 2, 5353, 53, kT0 + 5 * kSec + 5,
               ethernet(ipv4("10.0.0.2", "10.0.0.1", 1, icmp_header(3, 3, 0, probe)))};
    auto probe6 = ipv6("2001:db8::1", "2001:db8::2", 17, udp_header(5000, 33434));
    Packet err6{"2001:db8::2", "2001:db8::1", 0, 0, 0, kT0 + 2 * kSec,
                ethernet(ipv6("2001:db8::2", "2001:db8::1", 58, icmp_header(1, 4, 0, probe6)))};
    save("corpus/packet/icmp_errors", packets({err, err6}));
    // IP in IP with the same inner and outer addresses: the inner header is the packet's.
    Packet ipip{"10.0.0.1", "10.0.0.2", 1, 40000, 80, t,
                ethernet(ipv4("10.0.0.1", "10.0.0.2", 4, ipv4("10.0.0.1", "10.0.0.2", 6, tcp_header(40000, 80, 0x10))))};
    save("corpus/packet/ip_in_ip", packets({ipip}));
}

template <typename T>
Bytes raw_bytes(const T& v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    return Bytes(p, p + sizeof v);
}

void ebpf_seeds() {
    so_owner owner{};
    owner.tgid = 4242;
    owner.tid = 4243;
    owner.ppid = 1;
    owner.uid = 1000;
    owner.start_ns = 5'000'000'000ull;
    std::memcpy(owner.comm, "curl", 4);

    so_socket_event s{};
    s.type = SO_EV_SOCKET;
    s.ts = 123;
    s.cookie = 77;
    s.tuple.family = AF_INET;
    s.tuple.protocol = IPPROTO_TCP;
    s.tuple.sock_type = SOCK_STREAM;
    s.tuple.laddr[0] = htonl(0x7f000001);
    s.tuple.raddr[0] = htonl(0x7f000002);
    s.tuple.lport = 5555;
    s.tuple.rport = 8000;
    s.owner = owner;
    save("corpus/ebpf_decode/socket_tcp4", raw_bytes(s));
    auto a = s;
    a.type = SO_EV_ACCEPT;
    a.flags = SO_F_INHERITED;
    a.tuple.family = AF_INET6;
    a.tuple.laddr[3] = htonl(1);
    a.tuple.raddr[2] = htonl(0xffff);  // v4-mapped
    save("corpus/ebpf_decode/accept_tcp6", raw_bytes(a));
    auto u = s;
    u.tuple.protocol = IPPROTO_UDP;
    u.tuple.sock_type = SOCK_DGRAM;
    u.tuple.rport = 0;
    save("corpus/ebpf_decode/socket_udp_unconnected", raw_bytes(u));
    auto r = s;
    r.tuple.protocol = IPPROTO_ICMP;
    r.tuple.sock_type = SOCK_RAW;
    save("corpus/ebpf_decode/socket_raw", raw_bytes(r));

    so_close_event c{SO_EV_CLOSE, 0, 200, 0xffff888100001000ull, 77};
    save("corpus/ebpf_decode/close", raw_bytes(c));
    auto x = std::make_unique<so_exec_event>();
    std::memset(x.get(), 0, sizeof *x);
    x->type = SO_EV_EXEC;
    x->owner = owner;
    const char path[] = "/usr/bin/curl", args[] = "curl\0-s\0http://x/\0";
    std::memcpy(x->path, path, sizeof path - 1);
    x->path_len = sizeof path - 1;
    std::memcpy(x->args, args, sizeof args);
    x->args_len = sizeof args;
    save("corpus/ebpf_decode/exec", raw_bytes(*x));
    so_exit_event e{SO_EV_EXIT, 4242, 300, 5'000'000'000ull};
    save("corpus/ebpf_decode/exit", raw_bytes(e));

    so_iter_record i1{};
    i1.sk = 1;
    i1.cookie = 77;
    i1.inode = 12345;
    i1.flags = SO_F_OWNED;
    i1.tuple = s.tuple;
    i1.owner = owner;
    auto i2 = i1;
    i2.flags = 0;
    i2.tuple = u.tuple;
    i2.tuple.family = AF_INET6;
    Bytes iter = raw_bytes(i1);
    auto b2 = raw_bytes(i2);
    iter.insert(iter.end(), b2.begin(), b2.end());
    iter.insert(iter.end(), 10, 0);  // a torn last record
    save("corpus/ebpf_decode/iter_records", iter);
}

void procfs_seeds(const fs::path& source) {
    const fs::path proc = source / "tests/fixtures/proc";
    auto with = [&](std::uint8_t parser, Bytes text) {
        text.insert(text.begin(), parser);
        return text;
    };
    auto str = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
    for (const char* f : {"tcp", "tcp6", "udp6", "icmp", "raw6"})
        save(std::string("corpus/procfs/net_") + f, with(0, read_bytes(proc / "net" / f)));
    save("corpus/procfs/stat", with(1, read_bytes(proc / "8420/stat")));
    save("corpus/procfs/stat_odd_comm", with(1, str("77 (a) b) (c) R 1 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 "
                                                    "123456 0 0 18446744073709551615")));
    save("corpus/procfs/status", with(2, read_bytes(proc / "8420/status")));
    save("corpus/procfs/cmdline", with(3, read_bytes(proc / "8420/cmdline")));
    save("corpus/procfs/cgroup", with(4, read_bytes(proc / "8420/cgroup")));
    save("corpus/procfs/cgroup_hybrid", with(4, str("12:pids:/\n1:name=systemd:/system.slice/docker-" +
                                                    std::string(64, 'b') + ".scope\n0::/\n")));
    save("corpus/procfs/container_k8s",
         with(5, str("/kubepods.slice/kubepods-burstable.slice/cri-containerd-" + std::string(64, 'c') + ".scope")));
    save("corpus/procfs/inode_socket", with(6, str("socket:[12345]")));
    save("corpus/procfs/inode_net", with(7, str("net:[4026531840]")));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SOURCE_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[2];
    fs::path tmp = fuzz::scratch_dir();
    journals(tmp);
    packet_seeds();
    ebpf_seeds();
    procfs_seeds(argv[1]);
    return 0;
}
