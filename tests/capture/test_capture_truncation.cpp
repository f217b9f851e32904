// Damaged input: every prefix of valid files either is itself a whole file (it ends
// where a block or record ends) or throws a CaptureError naming the truncation; bytes
// overwritten anywhere never crash or hang. And the buffered file reading: blocks
// across the 1 MiB buffer's edge, blocks larger than it, pipes giving a few bytes
// at a time.
#include "capture_fixtures.hpp"
#include "capture_reader.hpp"
#include "recording_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::capture;
using namespace sockowner::capture::test;

namespace {

// Reads every prefix of `file`: whole files at `whole` (the lengths at which a prefix
// ends between blocks), a CaptureError saying "truncated" at every other length.
void every_prefix(const Bytes& file, const std::set<std::size_t>& whole) {
    for (std::size_t n = 0; n <= file.size(); ++n) {
        const Bytes prefix(file.begin(), file.begin() + long(n));
        std::string error;
        try {
            read_bytes(prefix);
        } catch (const CaptureError& e) {
            error = e.what();
        }
        if (whole.count(n)) {
            if (!error.empty()) {
                print_error("prefix of %zu bytes: %s\n", n, error.c_str());
                fail();
            }
        } else if (error.find(n < 4 ? "not a pcap" : "truncated") == std::string::npos &&
                   !(n == 0 && error.find("empty file") != std::string::npos)) {
            print_error("prefix of %zu bytes: \"%s\"\n", n, error.c_str());
            fail();
        }
    }
}

void pcapng_prefixes(void**) {
    Pcapng f = rich_pcapng();
    // A file is whole once its first SHB is.
    std::set<std::size_t> whole(f.boundaries().begin() + 1, f.boundaries().end());
    whole.insert(f.bytes().size());
    every_prefix(f.bytes(), whole);
}

void pcap_prefixes(void**) {
    for (bool modified : {false, true}) {
        const std::vector<PcapRecord> records = {{1, 2, frame(60, 1), 60}, {3, 4, frame(1, 2), 1}, {5, 6, {}, 0}};
        const Bytes file = pcap_file(true, false, 1, records, modified);
        const std::size_t header = modified ? 24 : 16;
        const std::set<std::size_t> whole = {24, 24 + header + 60, 24 + 2 * header + 61, file.size()};
        every_prefix(file, whole);
    }
}

// Every byte of a file overwritten with a few values: the reader finishes, with the
// file or with a CaptureError, and never reads out of bounds (the sanitizer build
// runs this too).
void overwritten_bytes(void**) {
    const Bytes files[] = {rich_pcapng().bytes(), pcap_file(false, true, 1, {{1, 2, frame(30, 1), 30}, {1, 3, frame(2, 1), 2}})};
    for (const Bytes& file : files) {
        for (std::size_t i = 0; i < file.size(); ++i) {
            for (std::uint8_t v : {0x00, 0x01, 0x03, 0x7f, 0x80, 0xff}) {
                Bytes b = file;
                b[i] = v;
                try {
                    read_bytes(b);
                } catch (const CaptureError&) {
                }
            }
        }
    }
}

// A temporary file holding `bytes`, open for reading at its start.
int temp_file(const Bytes& bytes) {
    char path[] = "/tmp/sockowner-capture-test-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, bytes.data(), bytes.size()), bytes.size());
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

// 3 MiB of packets of awkward sizes, one block of 5 MiB (larger than the buffer), a
// comment: read from a file, the same as read from memory.
void blocks_across_the_buffer(void**) {
    Pcapng f;
    f.section(false).idb(1);
    for (std::uint32_t i = 0; i < 3000; ++i) f.epb(0, i, frame(1 + (i * 7919) % 2000, std::uint8_t(i)));
    f.epb(0, 1, frame(5 << 20, 9), {Pcapng::text(1, "big")});
    for (std::uint32_t i = 0; i < 300; ++i) f.epb(0, i, frame(1 + i, std::uint8_t(i)));
    const Bytes file = f.bytes();
    const RecordingSink expected = read_bytes(file);
    const int fd = temp_file(file);
    RecordingSink got;
    read_capture_fd(fd, "test.cap", got);
    close(fd);
    assert_int_equal(got.events.size(), expected.events.size());
    for (std::size_t i = 0; i < got.events.size(); ++i) {
        assert_true(got.events[i].raw == expected.events[i].raw);
        assert_true(got.events[i].data == expected.events[i].data);
        assert_true(got.events[i].options == expected.events[i].options);
        assert_int_equal(got.events[i].time_ns, expected.events[i].time_ns);
    }
    assert_int_equal(got.packets().size(), 3301);

    // The same file cut in the middle of the big block: the offset is the file's.
    const std::size_t big_at = f.boundaries()[3002];
    const int cut = temp_file(Bytes(file.begin(), file.begin() + long(big_at + 100)));
    try {
        RecordingSink s;
        read_capture_fd(cut, "cut.pcapng", s);
        fail();
    } catch (const CaptureError& e) {
        const std::string expect = "cut.pcapng: truncated block at byte " + std::to_string(big_at) + " (block length " +
                                   std::to_string(f.boundaries()[3003] - big_at) +
                                   ", 100 bytes left)";
        assert_str_eq(e.what(), expect);
    }
    close(cut);
}

// A pipe that gives the file 7 bytes at a time.
void short_reads_from_a_pipe(void**) {
    const Bytes file = rich_pcapng().bytes();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    std::thread writer([&] {
        for (std::size_t i = 0; i < file.size(); i += 7) {
            const std::size_t n = std::min<std::size_t>(7, file.size() - i);
            if (write(fds[1], file.data() + i, n) != ssize_t(n)) std::abort();
            usleep(100);
        }
        close(fds[1]);
    });
    RecordingSink got;
    read_capture_fd(fds[0], "pipe", got);
    writer.join();
    close(fds[0]);
    const RecordingSink expected = read_bytes(file);
    assert_int_equal(got.events.size(), expected.events.size());
    for (std::size_t i = 0; i < got.events.size(); ++i) assert_true(got.events[i].data == expected.events[i].data);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(pcapng_prefixes),
        cmocka_unit_test(pcap_prefixes),
        cmocka_unit_test(overwritten_bytes),
        cmocka_unit_test(blocks_across_the_buffer),
        cmocka_unit_test(short_reads_from_a_pipe),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
