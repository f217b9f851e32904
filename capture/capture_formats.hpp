// Internal to the reader: the two formats' parsers, behind read_capture()'s check of
// the magic number.
#pragma once

#include "byte_source.hpp"
#include "capture_types.hpp"

#include <string>

namespace sockowner::capture {

// The input starts with a pcap file header (24 bytes: any of the four magics, or
// the "modified pcap" one).
void read_pcap(ByteSource& in, CaptureSink& sink);
// The input starts with a section header block.
void read_pcapng(ByteSource& in, CaptureSink& sink);

// "NAME: WHAT at byte N" errors (N: the file offset of the block or record).
[[noreturn]] void fail_at(const ByteSource& in, const std::string& what, std::uint64_t offset);
// After a failed peek at the current position: "NAME: truncated WHAT at byte N
// (LENGTH_NAME L, M bytes left)".
[[noreturn]] void fail_truncated(const ByteSource& in, const char* what, const char* length_name, std::uint64_t length);

}  // namespace sockowner::capture
