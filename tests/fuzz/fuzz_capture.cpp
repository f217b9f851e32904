// libFuzzer target: the input is a capture file (pcap or pcapng). It goes through
// read_capture_bytes() into a PcapngWriter that annotates every packet (a comment, a
// Darwin process block per new pid, the Darwin and process/thread options), writing
// into a memory file. A read that succeeds must give an output that reads back
// with the same number of packets, and that a plain copy reproduces byte for byte
// (the writer's output is already in the form it writes).
#include "capture_reader.hpp"
#include "pcapng_writer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace sockowner::capture;

namespace {

using Bytes = std::vector<std::uint8_t>;

class CopySink : public CaptureSink {
public:
    CopySink(PcapngWriter& w, bool annotate) : w_(w), annotate_(annotate) {}
    void section(ByteOrder order, std::span<const std::uint8_t> shb) override { w_.section(order, shb); }
    void block(std::span<const std::uint8_t> raw) override { w_.block(raw); }
    void packet(const Packet& p) override {
        ++packets;
        PcapngWriter::Extra e;
        if (annotate_) {
            // A few pids, each given its block once, before its first packet.
            const std::uint32_t pid = std::uint32_t(p.data.size() % 5);
            if (pid >= index_.size()) index_.resize(pid + 1, ~0u);
            if (index_[pid] == ~0u) index_[pid] = w_.darwin_process(pid, std::string(pid, 'n'));
            comment_ = "packet " + std::to_string(packets) + " at " + std::to_string(p.time_ns);
            e.comment = comment_;
            e.darwin_process = index_[pid];
            e.pid = pid;
            if (packets % 2) e.tid = pid + 1;
        }
        w_.packet(p, e);
    }
    void unattributable(std::span<const std::uint8_t> raw) override {
        ++spbs;
        w_.block(raw);
    }
    std::size_t packets = 0, spbs = 0;

private:
    PcapngWriter& w_;
    bool annotate_;
    std::vector<std::uint32_t> index_;
    std::string comment_;
};

// A memory file, emptied for each use.
int memory_file() {
    static const int fd = [] {
        const int f = memfd_create("fuzz_capture", MFD_CLOEXEC);
        if (f < 0) std::abort();
        return f;
    }();
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) std::abort();
    return fd;
}

Bytes contents(int fd) {
    const off_t size = lseek(fd, 0, SEEK_END);
    Bytes b(std::size_t(size), 0);
    if (size < 0 || pread(fd, b.data(), b.size(), 0) != size) std::abort();
    return b;
}

// Copies `in` (which must read) and returns the output; counts in `sink`.
Bytes copy(const Bytes& in, bool annotate, std::size_t* packets = nullptr) {
    const int fd = memory_file();
    PcapngWriter w(fd, "out");
    CopySink sink(w, annotate);
    read_capture_bytes(in, "copy", sink);  // throws only on a bug: the caller aborts
    w.finish();
    if (packets) *packets = sink.packets + sink.spbs;
    return contents(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = memory_file();
    std::size_t packets = 0;
    {
        PcapngWriter w(fd, "out");
        CopySink sink(w, true);
        try {
            read_capture_bytes({data, size}, "input", sink);
        } catch (const CaptureError&) {
            return 0;  // damaged input: an error is the right answer
        }
        w.finish();
        packets = sink.packets + sink.spbs;
    }
    const Bytes first = contents(fd);
    try {
        std::size_t again = 0;
        const Bytes second = copy(first, false, &again);
        if (again != packets || second != first) std::abort();
    } catch (const CaptureError&) {
        std::abort();  // what the writer wrote does not read back
    }
    return 0;
}
