// The writer: pcap → pcapng → read back gives the same packets; pcapng copied with no
// extras gives the same blocks; the extras (comment, Darwin process indexes, process
// and thread ids) read back as options, in either byte order, with their Darwin
// blocks before the packets that refer to them; write errors are reported, also those
// of the writer's thread (after many buffers, mid-file).
#include "capture_fixtures.hpp"
#include "capture_reader.hpp"
#include "pcapng_writer.hpp"
#include "recording_sink.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <deque>
#include <functional>
#include <map>
#include <string>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::capture;
using namespace sockowner::capture::test;

namespace {

// Copies what the reader emits into a writer, with the extras `annotate` chooses.
class CopySink : public CaptureSink {
public:
    using Annotate = std::function<PcapngWriter::Extra(PcapngWriter&, const Packet&)>;
    CopySink(PcapngWriter& w, Annotate a = nullptr) : w_(w), annotate_(std::move(a)) {}
    void section(ByteOrder order, std::span<const std::uint8_t> shb) override { w_.section(order, shb); }
    void block(std::span<const std::uint8_t> raw) override { w_.block(raw); }
    void packet(const Packet& p) override { w_.packet(p, annotate_ ? annotate_(w_, p) : PcapngWriter::Extra{}); }

private:
    PcapngWriter& w_;
    Annotate annotate_;
};

// What `write` writes through a PcapngWriter into a file.
Bytes written(const std::function<void(PcapngWriter&)>& write) {
    char path[] = "/tmp/sockowner-capture-test-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    PcapngWriter w(fd, "out.pcapng");
    write(w);
    w.finish();
    const off_t size = lseek(fd, 0, SEEK_END);
    assert_int_equal(off_t(w.bytes_written()), size);
    Bytes out(std::size_t(size), 0);
    assert_int_equal(pread(fd, out.data(), out.size(), 0), size);
    close(fd);
    return out;
}

Bytes copy(const Bytes& in, CopySink::Annotate a = nullptr) {
    return written([&](PcapngWriter& w) {
        CopySink sink(w, a);
        read_capture_bytes(in, "in.cap", sink);
    });
}

void same_packet(const Event& a, const Event& b) {
    assert_int_equal(a.interface_id, b.interface_id);
    assert_int_equal(a.linktype, b.linktype);
    assert_int_equal(a.time_ns, b.time_ns);
    assert_int_equal(a.ts_high, b.ts_high);
    assert_int_equal(a.ts_low, b.ts_low);
    assert_int_equal(a.orig_len, b.orig_len);
    assert_true(a.data == b.data);
}

void pcap_round_trip(void**) {
    std::vector<PcapRecord> records;
    for (std::uint32_t i = 0; i < 50; ++i) records.push_back({1'700'000'000 + i, i * 12345, frame(i % 9, std::uint8_t(i)), 1000 + i});
    for (bool big : {false, true}) {
        for (bool ns : {false, true}) {
            const Bytes in = pcap_file(big, ns, 113, records);
            const RecordingSink before = read_bytes(in);
            const RecordingSink after = read_bytes(copy(in));
            assert_int_equal(after.events.size(), before.events.size());
            assert_true(after.events[0].raw == before.events[0].raw);  // the synthesized SHB and IDB
            assert_true(after.events[1].raw == before.events[1].raw);
            auto a = after.packets(), b = before.packets();
            assert_int_equal(a.size(), 50);
            for (std::size_t i = 0; i < a.size(); ++i) {
                same_packet(*a[i], *b[i]);
                assert_true(a[i]->options.empty());
            }
        }
    }
}

// No extras: blocks come out as they went in, byte for byte; a PB becomes an EPB of
// the same packet.
void passthrough(void**) {
    Pcapng f = rich_pcapng();
    const RecordingSink before = read_bytes(f.bytes());
    const Bytes out = copy(f.bytes());
    const RecordingSink after = read_bytes(out);
    assert_int_equal(after.events.size(), before.events.size());
    for (std::size_t i = 0; i < before.events.size(); ++i) {
        const Event &a = after.events[i], &b = before.events[i];
        assert_int_equal(a.kind, b.kind);
        assert_int_equal(a.order, b.order);
        assert_true(a.raw == b.raw);
        if (a.kind != Event::packet) continue;
        same_packet(a, b);
        assert_true(a.options == b.options);
    }
    // Without the PB, the whole file is the same bytes.
    Pcapng g;
    g.section(false, {Pcapng::text(4, "x")}).idb(1).nrb().epb(0, 5, frame(5, 1), {Pcapng::text(1, "c")});
    g.epb(0, 6, frame(6, 1)).custom().section(true).idb(1).epb(0, 7, frame(7, 1), {Pcapng::text(1, "be")}).isb(0);
    assert_true(copy(g.bytes()) == g.bytes());
    // The PB's EPB: type 6, in the output where the PB was.
    const std::size_t pb_at = f.boundaries()[8];
    assert_int_equal(out[pb_at], 6);
}

// One Darwin process block per pid, written before its first packet.
struct Annotator {
    std::map<std::uint32_t, std::uint32_t> index_of_pid;
    std::uint32_t n = 0;
    PcapngWriter::Extra operator()(PcapngWriter& w, const Packet& p) {
        ++n;
        const std::uint32_t pid = 100 + n % 3;
        auto it = index_of_pid.find(pid);
        if (it == index_of_pid.end()) it = index_of_pid.emplace(pid, w.darwin_process(pid, "proc" + std::to_string(pid))).first;
        PcapngWriter::Extra e;
        comments.push_back("owner " + std::to_string(pid) + " of " + std::to_string(p.data.size()) + " bytes");
        e.comment = comments.back();
        e.darwin_process = it->second;
        e.pid = pid;
        if (n % 2) e.tid = pid + 1000;
        return e;
    }
    std::deque<std::string> comments;  // alive until written
};

std::uint32_t u32_in(ByteOrder o, const std::uint8_t* p) {
    return o == ByteOrder::big ? std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | p[2] << 8 | p[3]
                               : p[0] | p[1] << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// A Darwin process block's pid and name.
std::pair<std::uint32_t, std::string> darwin_block(const Event& e) {
    const std::uint32_t pid = u32_in(e.order, e.raw.data() + 8);
    OptionReader r(e.order, std::span(e.raw).subspan(12, e.raw.size() - 16));
    Option o;
    std::string name;
    while (r.next(o))
        if (o.code == 2) name.assign(o.value.begin(), o.value.end());
    assert_false(r.malformed());
    return {pid, name};
}

void check_annotated(const Bytes& in, std::uint32_t first_index) {
    Annotator an;
    const Bytes out = copy(in, std::ref(an));
    const RecordingSink before = read_bytes(in);
    const RecordingSink after = read_bytes(out);
    // The Darwin blocks: where they are, what they say, how they are numbered.
    std::map<std::uint32_t, std::uint32_t> pid_of_index;
    std::uint32_t index = 0, packets = 0;
    std::size_t j = 0;  // in `before`
    for (const Event& e : after.events) {
        if (e.kind == Event::block && e.type() == 0x80000001 &&
            !(j < before.events.size() && before.events[j].raw == e.raw)) {
            const auto [pid, name] = darwin_block(e);
            assert_str_eq(name, "proc" + std::to_string(pid));
            pid_of_index[index++] = pid;
            continue;
        }
        if (e.kind == Event::block && e.type() == 0x80000001) ++index;  // the input's own
        const Event& b = before.events.at(j++);
        assert_int_equal(e.kind, b.kind);
        if (e.kind != Event::packet) {
            assert_true(e.raw == b.raw);
            continue;
        }
        same_packet(e, b);
        ++packets;
        const std::uint32_t pid = 100 + packets % 3;
        // The packet's own options first (its comments kept), then ours.
        assert_true(std::equal(b.options.begin(), b.options.end(), e.options.begin()));
        auto comments = e.texts(1);
        assert_int_equal(comments.size(), b.texts(1).size() + 1);
        assert_str_eq(comments.back(), "owner " + std::to_string(pid) + " of " + std::to_string(e.data.size()) + " bytes");
        const auto dpib = e.u32s(0x8001), edpib = e.u32s(0x8003), ids = e.u32s(8);
        if (e.order == ByteOrder::big) {
            // Left out: Wireshark would read them the wrong way round.
            assert_true(dpib.empty() && edpib.empty());
        } else {
            assert_int_equal(dpib.size(), 1);
            assert_int_equal(edpib.size(), 1);
            assert_int_equal(dpib[0], edpib[0]);
            assert_int_equal(pid_of_index.at(dpib[0]), pid);  // written before, of this pid
        }
        assert_int_equal(ids.size(), 2);
        assert_int_equal(ids[0], pid);
        assert_int_equal(ids[1], packets % 2 ? pid + 1000 : pid);
    }
    assert_int_equal(j, before.events.size());
    assert_int_equal(pid_of_index.size(), 3);
    assert_int_equal(pid_of_index.begin()->first, first_index);
    assert_int_equal(pid_of_index.rbegin()->first, first_index + 2);
}

void extras_read_back(void**) {
    check_annotated(pcap_file(true, false, 1, {{1, 2, frame(60, 1), 60}, {1, 3, frame(1, 2), 1}, {1, 4, {}, 0}, {1, 5, frame(2, 1), 2}}), 0);
    // A big-endian section only: the blocks are written (and numbered), the options not.
    Pcapng be;
    be.section(true).idb(1).epb(0, 1, frame(3, 1), {Pcapng::text(1, "mine")}).epb(0, 2, frame(4, 2)).epb(0, 3, frame(5, 3));
    check_annotated(be.bytes(), 0);
    // The rich file: ours are numbered across its two sections, after its own Darwin
    // block (written after the first three packets).
    check_annotated(rich_pcapng().bytes(), 0);
    // A file with a Darwin block before its packets: ours start at 1.
    Pcapng f;
    f.section(false).darwin(1, "launchd").idb(1).epb(0, 1, frame(3, 1)).epb(0, 2, frame(4, 2)).epb(0, 3, frame(5, 3));
    check_annotated(f.bytes(), 1);
}


// Every data and comment length pads to 4 bytes, the length at both ends right, in
// both byte orders; an obsolete PB or pcap record written as a big-endian EPB is big-endian.
void padding_and_byte_order(void**) {
    for (bool big : {false, true}) {
        Pcapng f;
        f.section(big).idb(1);
        const Bytes in = f.bytes();
        std::vector<std::string> comments;
        for (int c = 0; c < 7; ++c) comments.push_back(std::string(std::size_t(c), char('a' + c)));
        const Bytes out = written([&](PcapngWriter& w) {
            RecordingSink s = read_bytes(in);
            w.section(big ? ByteOrder::big : ByteOrder::little, s.events[0].raw);
            w.block(s.events[1].raw);
            for (int len = 0; len < 8; ++len) {
                for (int c = 0; c < 7; ++c) {
                    const Bytes data = frame(std::size_t(len), std::uint8_t(c));
                    Packet p;
                    p.ts_low = std::uint32_t(len * 10 + c);
                    p.orig_len = 100;
                    p.data = data;
                    PcapngWriter::Extra e;
                    if (c > 0) e.comment = comments[std::size_t(c)];  // c = 0: no options at all
                    if (c == 3) e.pid = 77;
                    w.packet(p, e);
                }
            }
        });
        const RecordingSink back = read_bytes(out);
        auto p = back.packets();
        assert_int_equal(p.size(), 56);
        for (int len = 0; len < 8; ++len) {
            for (int c = 0; c < 7; ++c) {
                const Event& e = *p[std::size_t(len * 7 + c)];
                assert_true(e.data == frame(std::size_t(len), std::uint8_t(c)));
                assert_int_equal(e.ts_low, len * 10 + c);
                assert_int_equal(e.orig_len, 100);
                if (c == 0) {
                    assert_true(e.options.empty());
                } else {
                    assert_int_equal(e.texts(1).size(), 1);
                    assert_str_eq(e.texts(1)[0], comments[std::size_t(c)]);
                }
            }
        }
        // The first EPB (no data, no options): 32 bytes, type 6 in the section's order.
        const std::size_t at = in.size();
        const Bytes expect_le = {6, 0, 0, 0, 32, 0, 0, 0}, expect_be = {0, 0, 0, 6, 0, 0, 0, 32};
        assert_true(Bytes(out.begin() + long(at), out.begin() + long(at) + 8) == (big ? expect_be : expect_le));
        assert_int_equal(p[3]->u32s(8).size(), 2);
        assert_int_equal(p[3]->u32s(8)[0], 77);
        assert_int_equal(p[3]->u32s(8)[1], 77);  // the tid defaults to the pid
    }
}

void comment_and_name_limits(void**) {
    // 65534 ASCII bytes then a 3-byte character: cut before the character.
    const std::string long_comment = std::string(65534, 'x') + "\u20ac" + "tail";
    std::uint32_t idx = 99;
    const Bytes out = written([&](PcapngWriter& w) {
        RecordingSink s = read_bytes(pcap_file(false, false, 1, {}));
        w.section(ByteOrder::little, s.events[0].raw);
        w.block(s.events[1].raw);
        idx = w.darwin_process(5, "");
        const Bytes data = frame(10, 1);
        Packet p;
        p.data = data;
        PcapngWriter::Extra e;
        e.comment = long_comment;
        w.packet(p, e);
        e.comment = "";
        e.darwin_process = idx;
        w.packet(p, e);
    });
    assert_int_equal(idx, 0);
    const RecordingSink back = read_bytes(out);
    const Event& dpib = back.events[2];
    assert_int_equal(dpib.type(), 0x80000001);
    const auto [pid, name] = darwin_block(dpib);
    assert_int_equal(pid, 5);
    assert_int_equal(dpib.raw.size(), 12 + 4 + 4 + 4);  // the empty name is there: 4 bytes, then opt_endofopt
    assert_str_eq(name, "");
    auto p = back.packets();
    assert_int_equal(p[0]->texts(1).at(0).size(), 65534);
    assert_int_equal(p[1]->texts(1).size(), 1);
    assert_str_eq(p[1]->texts(1)[0], "");
    assert_int_equal(p[1]->u32s(0x8001).at(0), 0);
}

void misuse_and_write_errors(void**) {
    const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    const Bytes shb = read_bytes(pcap_file(false, false, 1, {})).events[0].raw;
    {
        PcapngWriter w(fd, "full.pcapng");
        const Bytes data = frame(10, 1);
        Packet p;
        p.data = data;
        try {
            w.packet(p, {});
            fail();
        } catch (const CaptureError& e) {
            assert_str_eq(e.what(), "full.pcapng: packet before the first section header block");
        }
        w.section(ByteOrder::little, shb);
        const Bytes odd = {1, 0, 1, 0, 'x', 0};
        p.options = odd;
        try {
            w.packet(p, {});
            fail();
        } catch (const CaptureError& e) {
            assert_str_eq(e.what(), "full.pcapng: packet options of 6 bytes, not whole options");
        }
        p.options = {};
        w.packet(p, {});  // buffered: no error yet
        try {
            w.finish();
            fail();
        } catch (const CaptureError& e) {
            assert_str_eq(e.what(), "full.pcapng: write error at byte 0: No space left on device");
        }
    }
    {
        // Blocks larger than the buffer: a copied one goes straight to the file, a
        // packet grows the buffer; either way the error comes out.
        Pcapng big;
        big.section(false).block(0xBAD, [](Put& put) { put.raw(frame(2 << 20, 1).data(), 2 << 20); });
        const Bytes all = big.bytes();
        const Bytes raw(all.begin() + 28, all.end());
        for (int packet = 0; packet < 2; ++packet) {
            PcapngWriter w(fd, "full.pcapng");
            w.section(ByteOrder::little, shb);
            try {
                if (packet) {
                    const Bytes data = frame(2 << 20, 1);
                    Packet p;
                    p.data = data;
                    w.packet(p, {});
                } else {
                    w.block(raw);
                }
                w.finish();
                fail();
            } catch (const CaptureError& e) {
                assert_str_eq(e.what(), "full.pcapng: write error at byte 0: No space left on device");
            }
        }
    }
    close(fd);
}

// A capture many buffers long: the buffers written by the writer's thread come out
// whole and in order, each packet with its own comment, and the file is as long as
// bytes_written() says (written() checks).
void many_buffers_in_order(void**) {
    Pcapng in;
    in.section(false).idb(1);
    const std::size_t n = 6000;  // ~6000 * (1500 + 400) bytes: 11 MiB, more than kInFlight buffers
    for (std::size_t i = 0; i < n; ++i) in.epb(0, 1000 + i, frame(1000 + i % 500, std::uint8_t(i)));
    std::deque<std::string> comments;
    const Bytes out = copy(in.bytes(), [&](PcapngWriter&, const Packet& p) {
        comments.push_back("packet " + std::to_string(p.ts_low) + std::string(300 + p.ts_low % 97, 'x'));
        PcapngWriter::Extra e;
        e.comment = comments.back();
        return e;
    });
    assert_true(out.size() > (PcapngWriter::kBufferSize * (BackgroundWriter::kInFlight + 2)));
    const RecordingSink before = read_bytes(in.bytes()), after = read_bytes(out);
    auto a = after.packets(), b = before.packets();
    assert_int_equal(a.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
        same_packet(*a[i], *b[i]);
        assert_str_eq(a[i]->texts(1).at(0), comments[i]);
    }
}

// A write that fails after many buffers (a file size limit: EFBIG at 3 MiB) stops the
// copy with the byte it failed at, however far the filler had got.
void write_error_mid_file(void**) {
    char path[] = "/tmp/sockowner-capture-test-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    const Bytes shb = read_bytes(pcap_file(false, false, 1, {})).events[0].raw;
    const Bytes data = frame(1400, 7);
    const std::string comment(600, 'c');
    rlimit old{};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    const rlim_t limit = 3u << 20;
    rlimit small = old;
    small.rlim_cur = limit;
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    std::uint64_t tried = 0;
    std::string error;
    {
        PcapngWriter w(fd, "big.pcapng");
        try {
            w.section(ByteOrder::little, shb);
            Packet p;
            p.data = data;
            PcapngWriter::Extra e;
            e.comment = comment;
            for (; tried < 100'000; ++tried) w.packet(p, e);  // ~200 MiB if nothing stopped it
            w.finish();
        } catch (const CaptureError& e) {
            error = e.what();
        }
        // At most the buffers in flight, the one being filled and the one that failed.
        assert_true(tried * 2000 < limit + (BackgroundWriter::kInFlight + 2) * PcapngWriter::kBufferSize);
        // Every later call fails the same way, whichever buffer it is in.
        for (int i = 0; i < 3; ++i) {
            try {
                Packet p;
                const Bytes huge = frame(PcapngWriter::kBufferSize + 1, 1);  // needs a buffer of its own
                p.data = i == 1 ? std::span<const std::uint8_t>(huge) : std::span<const std::uint8_t>(data);
                w.packet(p, {});
                w.finish();
                fail();
            } catch (const CaptureError& e) {
                assert_str_eq(e.what(), error);
            }
        }
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    assert_str_eq(error, "big.pcapng: write error at byte " + std::to_string(limit) + ": File too large");
    assert_int_equal(lseek(fd, 0, SEEK_END), off_t(limit));
    close(fd);
}

// The writer's EPB, byte for byte, is what the fixtures' own encoder makes of the same
// packet and options: lengths, zero padding, option order, opt_endofopt.
void same_bytes_as_an_independent_encoder(void**) {
    for (bool big : {false, true}) {
        for (int len = 0; len < 5; ++len) {
            Pcapng expected;
            expected.section(big).idb(1);
            const Bytes data = frame(std::size_t(len), 3);
            std::vector<Pcapng::Opt> opts = {Pcapng::text(1, "own"), Pcapng::text(1, std::string(std::size_t(len), 'c'))};
            if (!big) {
                opts.push_back(expected.u32opt(0x8001, 7));
                opts.push_back(expected.u32opt(0x8003, 7));
            }
            Bytes ids;
            Put{ids, big}.u32(1234);
            Put{ids, big}.u32(5678);
            opts.push_back({8, ids});
            expected.epb(0, 0x123456789abcdefull, data, opts, 1500);
            // The input: the same packet with only its own comment.
            Pcapng in;
            in.section(big).idb(1).epb(0, 0x123456789abcdefull, data, {Pcapng::text(1, "own")}, 1500);
            const std::string comment(std::size_t(len), 'c');
            const Bytes out = copy(in.bytes(), [&](PcapngWriter&, const Packet&) {
                PcapngWriter::Extra e;
                e.comment = comment;
                e.darwin_process = 7;
                e.pid = 1234;
                e.tid = 5678;
                return e;
            });
            assert_true(out == expected.bytes());
        }
    }
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(pcap_round_trip),
        cmocka_unit_test(passthrough),
        cmocka_unit_test(extras_read_back),
        cmocka_unit_test(padding_and_byte_order),
        cmocka_unit_test(same_bytes_as_an_independent_encoder),
        cmocka_unit_test(comment_and_name_limits),
        cmocka_unit_test(misuse_and_write_errors),
        cmocka_unit_test(many_buffers_in_order),
        cmocka_unit_test(write_error_mid_file),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
