// Reads a pcap or pcapng capture and emits its contents, in file order, into a
// CaptureSink: sections, other blocks raw, and packets with their timestamps made
// wall-clock. pcap input comes out as one little-endian pcapng section with one
// interface, so that a sink sees one format.
//
// A gzip, zstd or lz4 file is decompressed as it is read (decompress.hpp).
//
// Every damage is a CaptureError, never a silently short read: an unknown magic ("not
// a pcap or pcapng capture"), xz or bzip2 ("xz-compressed capture: decompress it
// first"), damaged or truncated compressed data, truncation anywhere (a partial last record included), block lengths that
// are not a multiple of 4, under 12, over 128 MiB or differ at the two ends, captured
// lengths over 16 MiB or past their block, packets of an interface the section does
// not describe, options running past their block. Memory: one 1 MiB buffer (more
// only for a larger block) and one entry per interface; nothing per packet.
#pragma once

#include "capture_types.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace sockowner::capture {

// `path` "-" reads standard input.
void read_capture(const std::string& path, CaptureSink& sink);
// Reads `fd` from where it is, to its end (not closed); errors name `name`.
void read_capture_fd(int fd, const std::string& name, CaptureSink& sink);
// Reads a capture held in memory (the fuzz target, tests).
void read_capture_bytes(std::span<const std::uint8_t> bytes, const std::string& name, CaptureSink& sink);

}  // namespace sockowner::capture
