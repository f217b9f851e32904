// The reader's input: a file descriptor read with large read(2) calls into one
// buffer (no mmap: pipes and standard input work too), bytes already in memory, or a
// stream of bytes made from another source's (a decompressor). A block is always
// handed out contiguous, so that the parser never copies a packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sockowner::capture {

// Bytes made on demand (decompressed ones).
class ByteStream {
public:
    virtual ~ByteStream() = default;
    // Up to `cap` (> 0) bytes into `dst`; 0 only at the end. Throws CaptureError.
    virtual std::size_t read(std::uint8_t* dst, std::size_t cap) = 0;
};

class ByteSource {
public:
    static constexpr std::size_t kBufferSize = 1u << 20;

    // Reads `fd` (not closed here) from where it is; errors name `name`.
    ByteSource(int fd, std::string name);
    // Reads `bytes`, which must outlive this object.
    ByteSource(std::span<const std::uint8_t> bytes, std::string name);
    // Reads what `stream` makes.
    ByteSource(std::unique_ptr<ByteStream> stream, std::string name);

    // The next n bytes, contiguous, without consuming them; nullptr when the input
    // ends first (then left() is everything there is). Invalidates earlier pointers.
    // Throws CaptureError on a read error.
    const std::uint8_t* peek(std::size_t n);
    void consume(std::size_t n) { pos_ += n; }
    // The bytes buffered at the current position (left() of them).
    const std::uint8_t* current() const { return data_ + pos_; }
    // Bytes buffered after the current position (after a failed peek: all that is left).
    std::size_t left() const { return end_ - pos_; }
    // File offset of the current position (for messages).
    std::uint64_t offset() const { return consumed_before_ + pos_; }
    const std::string& name() const { return name_; }
    // Called when a read(2) of the file descriptor is interrupted by a signal, before
    // it is retried; may throw.
    void on_interrupt(std::function<void()> f) { on_interrupt_ = std::move(f); }

private:
    bool fill(std::size_t n);
    std::size_t read_some(std::uint8_t* dst, std::size_t cap);

    int fd_ = -1;
    std::unique_ptr<ByteStream> stream_;
    std::string name_;
    std::vector<std::uint8_t> buffer_;
    const std::uint8_t* data_ = nullptr;  // buffer_ or the caller's bytes
    std::size_t pos_ = 0, end_ = 0;
    std::uint64_t consumed_before_ = 0;  // file offset of data_[0]
    bool eof_ = false;
    std::function<void()> on_interrupt_;
};

}  // namespace sockowner::capture
