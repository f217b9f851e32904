#include "capture_reader.hpp"

#include "byte_order.hpp"
#include "byte_source.hpp"
#include "capture_formats.hpp"
#include "decompress.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sockowner::capture {

void fail_at(const ByteSource& in, const std::string& what, std::uint64_t offset) {
    throw CaptureError(in.name() + ": " + what + " at byte " + std::to_string(offset));
}

void fail_truncated(const ByteSource& in, const char* what, const char* length_name, std::uint64_t length) {
    throw CaptureError(in.name() + ": truncated " + what + " at byte " + std::to_string(in.offset()) + " (" +
                       length_name + " " + std::to_string(length) + ", " + std::to_string(in.left()) +
                       " bytes left)");
}

namespace {

// `decoded`: `in` is a compressed file's contents, which are not decompressed again.
void read_source(ByteSource& in, CaptureSink& sink, bool decoded = false) {
    const std::size_t n = in.peek(4) ? 4 : in.left();
    const std::uint8_t* p = in.current();
    if (n == 0) throw CaptureError(in.name() + ": empty " + (decoded ? "after decompressing" : "file") +
                                   ", not a pcap or pcapng capture");
    if (n == 4) {
        const std::uint32_t magic = load32(ByteOrder::little, p);
        if (magic == kBlockShb) return read_pcapng(in, sink);
        for (std::uint32_t m : {0xa1b2c3d4u, 0xa1b23c4du, 0xa1b2cd34u})
            if (magic == m || magic == __builtin_bswap32(m)) return read_pcap(in, sink);
    }
    // What Wireshark reads compressed (gzip, zstd, lz4), read the same way; errors
    // after that name the byte of the decompressed data.
    const Compression c = compression_of(p, n);
    if (c != Compression::none && !decoded) {
        ByteSource plain(decompressor(c, in), in.name() + " (" + compression_name(c) + "-decompressed)");
        return read_source(plain, sink, true);
    }
    throw CaptureError(in.name() + ": not a pcap or pcapng capture" +
                       (decoded ? std::string(" (after decompressing)") : std::string()));
}

}  // namespace

void read_capture_fd(int fd, const std::string& name, CaptureSink& sink) {
    ByteSource in(fd, name);
    in.on_interrupt([&sink] { sink.interrupted(); });
    read_source(in, sink);
}

void read_capture_bytes(std::span<const std::uint8_t> bytes, const std::string& name, CaptureSink& sink) {
    ByteSource in(bytes, name);
    read_source(in, sink);
}

void read_capture(const std::string& path, CaptureSink& sink) {
    if (path == "-") return read_capture_fd(STDIN_FILENO, "standard input", sink);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CaptureError(path + ": " + std::strerror(errno));
    try {
        read_capture_fd(fd, path, sink);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

}  // namespace sockowner::capture
