// Writes capture files for checks outside the unit tests:
//
//   make_capture_fixtures DIR            the inputs (pcap of each magic, the rich
//                                        pcapng, Darwin index probes) and their
//                                        annotated copies, for tshark and capinfos
//   make_capture_fixtures bench N OUT    a pcap of N Ethernet/IPv4/TCP packets
//   make_capture_fixtures copy IN OUT    IN copied to pcapng through the library
//   make_capture_fixtures annotate IN OUT  the same, every packet given a comment,
//                                        a Darwin process (pid 1000 + i % 7, "curl"
//                                        for pid 1000) and option 8
//
// The seeds in tests/fuzz/corpus/capture/ are files of DIR (le_us.pcap, be_ns.pcap,
// modified.pcap, rich.pcapng, rich.annotated.pcapng, darwin_file_wide.pcapng).
#include "capture_fixtures.hpp"
#include "capture_reader.hpp"
#include "pcapng_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

using namespace sockowner::capture;
using namespace sockowner::capture::test;

namespace {

// Ethernet, IPv4, TCP (checksums left zero), `payload` bytes: what tshark dissects.
Bytes tcp_frame(std::uint32_t i, std::size_t payload) {
    Bytes f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
    const std::size_t ip_len = 20 + 20 + payload;
    const Bytes ip = {0x45, 0, std::uint8_t(ip_len >> 8), std::uint8_t(ip_len), 0, 0, 0x40, 0, 64, 6, 0, 0,
                      10, 0, 0, 1, 10, 0, 0, 2};
    f.insert(f.end(), ip.begin(), ip.end());
    const std::uint16_t sport = std::uint16_t(40000 + i % 1000);
    const Bytes tcp = {std::uint8_t(sport >> 8), std::uint8_t(sport), 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff,
                       0, 0, 0, 0};
    f.insert(f.end(), tcp.begin(), tcp.end());
    for (std::size_t k = 0; k < payload; ++k) f.push_back(std::uint8_t('a' + k % 26));
    return f;
}

void save(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    if (!out) {
        std::fprintf(stderr, "make_capture_fixtures: cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

class CopySink : public CaptureSink {
public:
    CopySink(PcapngWriter& w, bool annotate) : w_(w), annotate_(annotate) {}
    void section(ByteOrder order, std::span<const std::uint8_t> shb) override { w_.section(order, shb); }
    void block(std::span<const std::uint8_t> raw) override { w_.block(raw); }
    void packet(const Packet& p) override {
        PcapngWriter::Extra e;
        if (annotate_) {
            const std::uint32_t pid = 1000 + n_++ % 7;
            auto it = index_.find(pid);
            if (it == index_.end())
                it = index_.emplace(pid, w_.darwin_process(pid, pid == 1000 ? "curl" : "proc" + std::to_string(pid))).first;
            comment_ = "sockowner: pid " + std::to_string(pid);
            e.comment = comment_;
            e.darwin_process = it->second;
            e.pid = pid;
            e.tid = pid + 1;
        }
        w_.packet(p, e);
    }

private:
    PcapngWriter& w_;
    bool annotate_;
    std::uint32_t n_ = 0;
    std::map<std::uint32_t, std::uint32_t> index_;
    std::string comment_;
};

int copy(const std::string& in, const std::string& out, bool annotate) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::perror(out.c_str());
        return 1;
    }
    try {
        PcapngWriter w(fd, out);
        CopySink sink(w, annotate);
        read_capture(in, sink);
        w.finish();
    } catch (const CaptureError& e) {
        std::fprintf(stderr, "make_capture_fixtures: %s\n", e.what());
        return 1;
    }
    return ::close(fd) == 0 ? 0 : 1;
}

Bytes bench(std::uint32_t n) {
    Bytes b = pcap_file(false, false, 1, {});
    Put p{b, false};
    for (std::uint32_t i = 0; i < n; ++i) {
        const Bytes f = tcp_frame(i, i % 3 ? 6 : 1200 + i % 200);
        p.u32(1'700'000'000 + i / 1000);
        p.u32(i % 1000 * 1000);
        p.u32(std::uint32_t(f.size()));
        p.u32(std::uint32_t(f.size()));
        p.raw(f.data(), f.size());
    }
    return b;
}

// Two sections, each with one Darwin process block and a packet referring to it by
// index 0 (`per_section`) or by its place in the whole file: which numbering does
// Wireshark use?
Bytes darwin_probe(bool per_section) {
    Pcapng f;
    for (int s = 0; s < 2; ++s) {
        f.section(s == 1);
        f.idb(1);
        f.darwin(s == 0 ? 111 : 222, s == 0 ? "alpha" : "beta");
        const std::uint32_t index = per_section ? 0 : std::uint32_t(s);
        f.epb(0, 1'700'000'000'000'000ull + std::uint64_t(s), tcp_frame(std::uint32_t(s), 10),
              {f.u32opt(0x8001, index), f.u32opt(0x8003, index), Pcapng::text(1, s == 0 ? "in alpha" : "in beta")});
    }
    return f.bytes();
}

void write_all(const std::string& dir) {
    std::vector<PcapRecord> records;
    for (std::uint32_t i = 0; i < 20; ++i) records.push_back({1'700'000'000 + i, i * 1000, tcp_frame(i, i), 54 + i});
    save(dir + "/le_us.pcap", pcap_file(false, false, 1, records));
    save(dir + "/be_us.pcap", pcap_file(true, false, 1, records));
    save(dir + "/le_ns.pcap", pcap_file(false, true, 1, records));
    save(dir + "/be_ns.pcap", pcap_file(true, true, 1, records));
    save(dir + "/modified.pcap", pcap_file(false, false, 1, records, true));
    // The rich file, with real frames on its Ethernet interfaces.
    Pcapng f;
    f.section(false, {Pcapng::text(4, "fixture")});
    f.idb(1);
    f.idb(1, {Pcapng::u8(9, 9)});
    f.idb(1, {Pcapng::u8(9, 0x8a), f.u64opt(14, 1'000'000'000)});
    f.nrb();
    f.epb(0, 1'700'000'000'123'456ull, tcp_frame(1, 5), {Pcapng::text(1, "first comment"), Pcapng::text(1, "second")});
    f.epb(1, 1'700'000'000'123'456'789ull, tcp_frame(2, 7));
    f.custom();
    f.pb(0, 1'700'000'001'000'000ull, tcp_frame(3, 1), {Pcapng::text(1, "from a PB")});
    f.epb(2, 1024ull * 10, tcp_frame(4, 3));
    f.spb(tcp_frame(5, 2));
    f.isb(0);
    f.section(true);
    f.idb(1, {Pcapng::u8(9, 3)});
    f.epb(0, 1'700'000'002'500ull, tcp_frame(6, 4), {Pcapng::text(1, "big-endian")});
    f.epb(0, 1'700'000'002'501ull, tcp_frame(7, 0));
    save(dir + "/rich.pcapng", f.bytes());
    save(dir + "/darwin_per_section.pcapng", darwin_probe(true));
    save(dir + "/darwin_file_wide.pcapng", darwin_probe(false));
    for (const char* in : {"le_us.pcap", "be_ns.pcap", "modified.pcap", "rich.pcapng"}) {
        const std::string base = dir + "/" + in;
        const std::string stem = base.substr(0, base.rfind('.'));
        if (copy(base, stem + ".copy.pcapng", false) || copy(base, stem + ".annotated.pcapng", true)) std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "bench" && argc == 4) {
        save(argv[3], bench(std::uint32_t(std::stoul(argv[2]))));
        return 0;
    }
    if ((mode == "copy" || mode == "annotate") && argc == 4) return copy(argv[2], argv[3], mode == "annotate");
    if (argc == 2 && mode[0] != '-') {
        write_all(mode);
        return 0;
    }
    std::fprintf(stderr, "usage: make_capture_fixtures DIR | bench N OUT | copy IN OUT | annotate IN OUT\n");
    return 2;
}
