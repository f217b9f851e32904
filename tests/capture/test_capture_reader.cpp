// The reader: both pcap byte orders and resolutions, every pcapng block kind across
// two sections of either byte order, and a clear error for each kind of damage.
#include "capture_fixtures.hpp"
#include "capture_reader.hpp"
#include "recording_sink.hpp"

#include <unistd.h>

#include <string>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::capture;
using namespace sockowner::capture::test;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;

// The message of the CaptureError reading `bytes` throws ("" when it reads).
std::string error_of(const Bytes& bytes) {
    try {
        read_bytes(bytes);
    } catch (const CaptureError& e) {
        return e.what();
    }
    return "";
}

void assert_error(const Bytes& bytes, const std::string& expected) {
    const std::string msg = error_of(bytes);
    if (msg.find(expected) == std::string::npos) {
        print_error("expected an error with \"%s\", got \"%s\"\n", expected.c_str(), msg.c_str());
        fail();
    }
    // One line, naming the file.
    assert_true(msg.rfind("test.cap: ", 0) == 0);
    assert_true(msg.find('\n') == std::string::npos);
}

void pcap_all_magics(void**) {
    const std::vector<PcapRecord> records = {{1'700'000'000, 123456, frame(60, 1), 60}, {1'700'000'001, 7, frame(3, 2), 1500}};
    for (bool big : {false, true}) {
        for (bool ns : {false, true}) {
            RecordingSink s = read_bytes(pcap_file(big, ns, 1, records));
            assert_int_equal(s.events.size(), 4);  // SHB, IDB, 2 packets
            assert_int_equal(s.events[0].kind, Event::section);
            assert_int_equal(s.events[0].order, ByteOrder::little);
            assert_int_equal(s.events[1].kind, Event::block);
            assert_int_equal(s.events[1].type(), 1);
            auto p = s.packets();
            assert_int_equal(p.size(), 2);
            const std::int64_t unit = ns ? 1 : 1000;
            assert_int_equal(p[0]->time_ns, 1'700'000'000 * kSec + 123456 * unit);
            assert_int_equal(p[1]->time_ns, 1'700'000'001 * kSec + 7 * unit);
            const std::uint64_t ticks = 1'700'000'001ull * (ns ? 1'000'000'000 : 1'000'000) + 7;
            assert_int_equal(p[1]->ts_high, ticks >> 32);
            assert_int_equal(p[1]->ts_low, std::uint32_t(ticks));
            assert_int_equal(p[0]->linktype, 1);
            assert_int_equal(p[0]->interface_id, 0);
            assert_true(p[0]->data == frame(60, 1));
            assert_true(p[1]->data == frame(3, 2));
            assert_int_equal(p[1]->orig_len, 1500);
            assert_true(p[0]->options.empty());
            // The synthesized IDB says ns when the file did (if_tsresol 9), else nothing.
            Event idb = s.events[1];
            OptionReader r(ByteOrder::little, std::span(idb.raw).subspan(16, idb.raw.size() - 20));
            Option o;
            bool tsresol = false;
            while (r.next(o))
                if (o.code == 9) tsresol = o.value.size() == 1 && o.value[0] == 9;
            assert_int_equal(tsresol, ns);
        }
    }
}

void pcap_linktype_low_bits_and_modified(void**) {
    // FCS bits above the link type are not part of it.
    RecordingSink s = read_bytes(pcap_file(false, false, 0x04000000 | 113, {{5, 6, frame(20, 1), 20}}));
    assert_int_equal(s.packets()[0]->linktype, 113);
    for (bool big : {false, true}) {
        RecordingSink m = read_bytes(pcap_file(big, false, 1, {{5, 6, frame(20, 1), 20}, {5, 7, frame(1, 2), 1}}, true));
        auto p = m.packets();
        assert_int_equal(p.size(), 2);
        assert_true(p[0]->data == frame(20, 1));
        assert_true(p[1]->data == frame(1, 2));
        assert_int_equal(p[1]->time_ns, 5 * kSec + 7000);
    }
}

void pcapng_every_block(void**) {
    Pcapng f = rich_pcapng();
    RecordingSink s = read_bytes(f.bytes());
    // Every block of the file, in order, each once, and raw blocks byte for byte.
    const auto bytes = f.bytes();
    const auto& starts = f.boundaries();
    assert_int_equal(s.events.size(), starts.size());
    const Event::Kind kinds[] = {Event::section, Event::block,  Event::block,  Event::block, Event::block,
                                 Event::packet,  Event::packet, Event::block,  Event::packet, Event::packet,
                                 Event::unattributable, Event::block, Event::block, Event::section, Event::block,
                                 Event::packet, Event::packet};
    assert_int_equal(std::size(kinds), starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
        assert_int_equal(s.events[i].kind, kinds[i]);
        if (kinds[i] == Event::packet) continue;
        const std::size_t end = i + 1 < starts.size() ? starts[i + 1] : bytes.size();
        assert_true(s.events[i].raw == Bytes(bytes.begin() + long(starts[i]), bytes.begin() + long(end)));
    }
    assert_int_equal(s.events[13].order, ByteOrder::big);
    assert_int_equal(s.events[12].type(), 0x80000001);
    assert_int_equal(s.events[14].type(), 1);  // read in big-endian

    auto p = s.packets();
    assert_int_equal(p.size(), 6);
    // Section 0, interface 0: µs; two comments kept, in order.
    assert_int_equal(p[0]->time_ns, 1'700'000'000'123'456 * 1000);
    assert_int_equal(p[0]->linktype, 1);
    assert_int_equal(p[0]->texts(1).size(), 2);
    assert_str_eq(p[0]->texts(1)[0], "first comment");
    assert_str_eq(p[0]->texts(1)[1], "second");
    // Interface 1: ns, 5 bytes of data (3 of padding).
    assert_int_equal(p[1]->interface_id, 1);
    assert_int_equal(p[1]->linktype, 101);
    assert_int_equal(p[1]->time_ns, 1'700'000'000'123'456'789);
    assert_true(p[1]->data == frame(5, 2));
    assert_true(p[1]->options.empty());
    // The obsolete PB: a packet, with its comment.
    assert_int_equal(p[2]->time_ns, 1'700'000'001 * kSec);
    assert_true(p[2]->data == frame(3, 3));
    assert_int_equal(p[2]->orig_len, 13);
    assert_str_eq(p[2]->texts(1).at(0), "from a PB");
    // Interface 2: 2^-10 s and if_tsoffset 1e9 s.
    assert_int_equal(p[3]->linktype, 113);
    assert_int_equal(p[3]->time_ns, (1'000'000'000 + 10) * kSec);
    assert_int_equal(p[3]->ts_low, 10240);
    // Section 1, big-endian, ms; interface ids start again.
    assert_int_equal(p[4]->order, ByteOrder::big);
    assert_int_equal(p[4]->interface_id, 0);
    assert_int_equal(p[4]->linktype, 1);
    assert_int_equal(p[4]->time_ns, 1'700'000'002'500 * 1'000'000);
    assert_str_eq(p[4]->texts(1).at(0), "big-endian");
    assert_int_equal(p[4]->ts_low, std::uint32_t(1'700'000'002'500ull));
    assert_int_equal(p[4]->ts_high, std::uint32_t(1'700'000'002'500ull >> 32));
    assert_true(p[5]->data.empty());
}

void pcapng_interfaces_are_per_section(void**) {
    Pcapng f;
    f.section(false).idb(1).idb(1).section(true).idb(1).epb(1, 0, frame(4, 1));
    assert_error(f.bytes(), "enhanced packet block for interface 1 (its section describes 1)");
}

// A gzip member holding `data` in stored (uncompressed) deflate blocks: what any gzip
// reader must read, made without a compressor.
Bytes gzip_stored(const Bytes& data) {
    Bytes z = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};  // no name, no time, Unix
    std::size_t at = 0;
    do {
        const std::size_t n = std::min<std::size_t>(data.size() - at, 65535);
        z.push_back(at + n == data.size() ? 1 : 0);  // BFINAL, BTYPE 00
        for (std::uint16_t v : {std::uint16_t(n), std::uint16_t(~n)}) {
            z.push_back(std::uint8_t(v));
            z.push_back(std::uint8_t(v >> 8));
        }
        z.insert(z.end(), data.begin() + at, data.begin() + at + n);
        at += n;
    } while (at < data.size());
    std::uint32_t crc = ~0u;
    for (std::uint8_t b : data) {
        crc ^= b;
        for (int k = 0; k < 8; ++k) crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
    }
    for (std::uint32_t v : {~crc, std::uint32_t(data.size())})
        for (int k = 0; k < 4; ++k) z.push_back(std::uint8_t(v >> 8 * k));
    return z;
}

// A gzip-compressed capture (several members: several sections, as Wireshark reads
// files concatenated) reads as the capture itself; damage is named.
void gzip_compressed(void**) {
    std::vector<PcapRecord> records;
    for (std::uint32_t i = 0; i < 3000; ++i)  // 228 000 bytes: several stored blocks
        records.push_back({1'700'000'000 + i, i, frame(60, std::uint8_t(i)), 60});
    const Bytes plain = pcap_file(false, true, 1, records);
    const RecordingSink want = read_bytes(plain);
    Bytes z = gzip_stored(plain);
    const RecordingSink got = read_bytes(z);
    assert_int_equal(got.events.size(), want.events.size());
    for (std::size_t i = 0; i < want.events.size(); ++i) {
        assert_true(got.events[i].raw == want.events[i].raw);
        assert_true(got.events[i].data == want.events[i].data);
        assert_int_equal(got.events[i].time_ns, want.events[i].time_ns);
    }
    // pcapng files one after the other are one file of several sections.
    Pcapng ng;
    ng.section(false).idb(1).epb(0, 1'700'000'000'000'000ull, frame(60, 7));
    const Bytes ngz = gzip_stored(ng.bytes());
    Bytes twice = ngz;
    twice.insert(twice.end(), ngz.begin(), ngz.end());
    const RecordingSink two = read_bytes(twice);
    assert_int_equal(two.events.size(), 6);  // SHB, IDB, EPB twice
    assert_int_equal(two.events[3].kind, Event::section);

    Bytes cut(z.begin(), z.end() - 3);
    assert_error(cut, "truncated gzip data at byte " + std::to_string(cut.size()));
    Bytes bad = z;
    bad[bad.size() - 5] ^= 1;  // the CRC
    assert_error(bad, "damaged gzip data at byte");
    Bytes trailing = z;
    trailing.push_back('x');
    assert_error(trailing, "not gzip data after the gzip stream at byte " + std::to_string(z.size()));
    // Errors in what was compressed name the decompressed byte, and say so.
    Bytes short_capture(plain.begin(), plain.end() - 7);
    const std::string msg = error_of(gzip_stored(short_capture));
    assert_true(msg.rfind("test.cap (gzip-decompressed): truncated", 0) == 0);
    assert_true(error_of(gzip_stored(z)).find("not a pcap or pcapng capture (after decompressing)") != std::string::npos);
    assert_true(error_of(gzip_stored({})).find("empty after decompressing") != std::string::npos);
}

void not_captures(void**) {
    assert_error({}, "empty file");
    assert_error({'h', 'e', 'l', 'l', 'o', '\n'}, "not a pcap or pcapng capture");
    assert_error({0xd4}, "not a pcap or pcapng capture");
    // Compressed, cut short: the decompressor's words, the compressed byte.
    assert_error({0x1f, 0x8b, 8, 0, 0, 0}, "truncated gzip data at byte 6");
    assert_error({0x28, 0xb5, 0x2f, 0xfd}, "truncated zstd data at byte 4");
    assert_error({0x04, 0x22, 0x4d, 0x18}, "truncated lz4 data at byte 4");
    // What Wireshark does not read either.
    assert_error({0xfd, '7', 'z', 'X', 'Z', 0}, "xz-compressed capture: decompress it first");
    assert_error({'B', 'Z', 'h', '9'}, "bzip2-compressed capture: decompress it first");
    Bytes v1 = pcap_file(false, false, 1, {});
    v1[4] = 1;
    assert_error(v1, "unsupported pcap version 1.4");
    Pcapng f;
    f.section(false);
    Bytes ng = f.bytes();
    ng[12] = 2;
    assert_error(ng, "unsupported pcapng version 2.0");
    ng = f.bytes();
    ng[8] = 0x4e;
    assert_error(ng, "bad byte-order magic");
}

// The 4-byte length at `at` (little-endian section), set to v.
Bytes with_u32(Bytes b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = std::uint8_t(v >> 8 * i);
    return b;
}

void bad_block_lengths(void**) {
    Pcapng f;
    f.section(false).idb(1).epb(0, 0, frame(8, 1));
    const std::size_t epb = f.boundaries()[2];
    const Bytes good = f.bytes();
    const std::uint32_t len = std::uint32_t(good.size() - epb);
    assert_string_equal(error_of(good).c_str(), "");
    assert_int_equal(epb, 48);
    assert_int_equal(len, 40);
    assert_error(with_u32(good, epb + 4, len + 2), "test.cap: bad block length 42 (not a multiple of 4) of the block at byte 48");
    assert_error(with_u32(good, epb + 4, 8), "bad block length 8 (under 12)");
    assert_error(with_u32(good, epb + 4, 0), "bad block length 0 (under 12)");
    assert_error(with_u32(good, epb + 4, 0xfffffff0), "(over 128 MiB)");
    assert_error(with_u32(good, epb + 4, (128u << 20) + 4), "bad block length 134217732 (over 128 MiB)");
    assert_error(with_u32(good, epb + 4, len + 4), "test.cap: truncated block at byte 48 (block length 44, 40 bytes left)");
    assert_error(with_u32(good, good.size() - 4, len - 4), "trailing length 36 differs from leading length 40 of the block at byte 48");
    // The SHB's own length.
    assert_error(with_u32(good, 4, 24), "(under 28) of the section header block");
    assert_error(with_u32(good, 4, 30), "(not a multiple of 4) of the section header block");
}

void bad_packets(void**) {
    Pcapng f;
    f.section(false).idb(1).epb(0, 0, frame(8, 1), {Pcapng::text(1, "abc")});
    const std::size_t epb = f.boundaries()[2];
    const Bytes good = f.bytes();
    assert_error(with_u32(good, epb + 8, 1), "enhanced packet block for interface 1 (its section describes 1) at byte 48");
    assert_error(with_u32(good, epb + 20, 21), "captured length 21 past the end of the enhanced packet block at byte 48");
    // Longer by one byte: the options start in the wrong place.
    assert_error(with_u32(good, epb + 20, 9), "option running past the end of the enhanced packet block");
    assert_error(with_u32(good, epb + 20, 17'000'000), "captured length 17000000 over 16 MiB");
    // The comment's length (at the data's end) reaching past the block.
    Bytes opt = good;
    opt[epb + 28 + 8 + 2] = 200;
    assert_error(opt, "option running past the end of the enhanced packet block");
    // Past it by 4 bytes only: into the block's trailing length.
    opt[epb + 28 + 8 + 2] = 11;
    assert_error(opt, "option running past the end of the enhanced packet block");
    // No IDB at all.
    Pcapng none;
    none.section(false).epb(0, 0, frame(4, 1));
    assert_error(none.bytes(), "for interface 0 (its section describes 0)");
    Pcapng spb;
    spb.section(false).spb(frame(4, 1));
    assert_error(spb.bytes(), "simple packet block before any interface description");
    Pcapng shortb;
    shortb.section(false).idb(1).block(6, [](Put& p) { p.u32(0); });
    assert_error(shortb.bytes(), "enhanced packet block too short");
    Pcapng shortidb;
    shortidb.section(false).block(1, [](Put& p) { p.u32(1); });
    assert_error(shortidb.bytes(), "interface description block too short");
    // SHB and IDB options are checked too.
    Pcapng shbopt;
    shbopt.section(false, {Pcapng::text(4, "app")});
    Bytes s = shbopt.bytes();
    s[24 + 2] = 99;
    assert_error(s, "option running past the end of the section header block");
    // pcap: a record over 16 MiB.
    Bytes big = pcap_file(false, false, 1, {{1, 2, frame(4, 1), 4}});
    assert_error(with_u32(big, 24 + 8, 16'777'217), "captured length 16777217 over 16 MiB in the packet record at byte 24");
}

void options_ending_without_endofopt(void**) {
    // opt_endofopt may be missing (readers must check the block's end); anything
    // after it is not an option.
    Pcapng f;
    f.section(false).idb(1).block(6, [](Put& p) {
        p.u32(0);
        p.u32(0);
        p.u32(1);
        p.u32(0);
        p.u32(0);
        p.u16(1);
        p.u16(2);
        p.raw("hi\0\0", 4);
    });
    const RecordingSink s = read_bytes(f.bytes());
    auto packets = s.packets();
    assert_int_equal(packets[0]->options.size(), 8);
    assert_str_eq(packets[0]->texts(1).at(0), "hi");
    Pcapng g;
    g.section(false).idb(1).block(6, [](Put& p) {
        for (int i = 0; i < 5; ++i) p.u32(0);
        p.u32(0);           // opt_endofopt
        p.u32(0xffffffff);  // not an option: ignored
    });
    assert_true(read_bytes(g.bytes()).packets()[0]->options.empty());
}

void reads_files_and_reports_open_errors(void**) {
    // "-": standard input.
    const Bytes file = pcap_file(false, false, 1, {{1, 2, frame(8, 1), 8}});
    char path[] = "/tmp/sockowner-capture-test-XXXXXX";
    const int fd = mkstemp(path);
    assert_int_equal(write(fd, file.data(), file.size()), file.size());
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    const int saved = dup(STDIN_FILENO);
    dup2(fd, STDIN_FILENO);
    RecordingSink in;
    read_capture("-", in);
    assert_int_equal(in.packets().size(), 1);
    // Named by its path too.
    RecordingSink named;
    read_capture(path, named);
    assert_int_equal(named.packets().size(), 1);
    // Errors name standard input as such.
    dup2(saved, STDIN_FILENO);
    assert_int_equal(ftruncate(fd, 30), 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    dup2(fd, STDIN_FILENO);
    try {
        RecordingSink cut;
        read_capture("-", cut);
        fail();
    } catch (const CaptureError& e) {
        assert_str_eq(e.what(), "standard input: truncated packet record header at byte 24 (header length 16, 6 bytes left)");
    }
    dup2(saved, STDIN_FILENO);
    close(saved);
    close(fd);
    unlink(path);

    RecordingSink s;
    try {
        read_capture("/nonexistent/x.pcap", s);
        fail();
    } catch (const CaptureError& e) {
        assert_str_eq(e.what(), "/nonexistent/x.pcap: No such file or directory");
    }
    try {
        read_capture("/", s);
        fail();
    } catch (const CaptureError& e) {
        assert_str_eq(e.what(), "/: read error at byte 0: Is a directory");
    }
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(pcap_all_magics),
        cmocka_unit_test(pcap_linktype_low_bits_and_modified),
        cmocka_unit_test(pcapng_every_block),
        cmocka_unit_test(pcapng_interfaces_are_per_section),
        cmocka_unit_test(not_captures),
        cmocka_unit_test(gzip_compressed),
        cmocka_unit_test(bad_block_lengths),
        cmocka_unit_test(bad_packets),
        cmocka_unit_test(options_ending_without_endofopt),
        cmocka_unit_test(reads_files_and_reports_open_errors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
