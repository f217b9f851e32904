// Compressed captures, read as Wireshark reads them: gzip (tcpdump's `-z gzip`
// rotation, most captures passed around), zstd and lz4 frames (what Wireshark 4.2 and
// later write). Several members or frames one after the other are one capture, as
// when files are concatenated. The compressed bytes come from another ByteSource (a
// file, a pipe, memory); the decompressed ones are read as any capture. Memory: the
// decompressor's window and state (gzip 32 KiB, lz4 up to 4 MiB, zstd what the frame
// asks for up to the library's default limit of 128 MiB, as the zstd tool allows),
// nothing per byte read.
//
// Errors are CaptureErrors naming the source and the compressed byte: "truncated
// gzip data at byte N", "damaged zstd data at byte N: <the library's reason>", "not
// gzip data after the gzip stream at byte N".
#pragma once

#include "byte_source.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace sockowner::capture {

enum class Compression { none, gzip, zstd, lz4, xz, bzip2 };

// The compression whose magic `p` (n bytes, the file's first) starts with.
Compression compression_of(const std::uint8_t* p, std::size_t n);
const char* compression_name(Compression c);
// Whether this build reads `c` (gzip, zstd and lz4 when their libraries were found;
// Wireshark reads neither xz nor bzip2).
bool can_decompress(Compression c);

// The decompressed bytes of `raw`, from its current position (the compressed data's
// first byte). `raw` must outlive the stream. Throws CaptureError when !can_decompress(c).
std::unique_ptr<ByteStream> decompressor(Compression c, ByteSource& raw);

}  // namespace sockowner::capture
