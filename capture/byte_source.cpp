#include "byte_source.hpp"

#include "capture_types.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sockowner::capture {

ByteSource::ByteSource(int fd, std::string name) : fd_(fd), name_(std::move(name)), buffer_(kBufferSize) {
    data_ = buffer_.data();
}

ByteSource::ByteSource(std::unique_ptr<ByteStream> stream, std::string name)
    : stream_(std::move(stream)), name_(std::move(name)), buffer_(kBufferSize) {
    data_ = buffer_.data();
}

ByteSource::ByteSource(std::span<const std::uint8_t> bytes, std::string name)
    : name_(std::move(name)), data_(bytes.data()), end_(bytes.size()), eof_(true) {}

const std::uint8_t* ByteSource::peek(std::size_t n) {
    if (end_ - pos_ >= n || fill(n)) return data_ + pos_;
    return nullptr;
}

// Moves what is left to the front, then reads until n bytes are there or the input
// ends.
bool ByteSource::fill(std::size_t n) {
    if (eof_) return false;
    const std::size_t left = end_ - pos_;
    if (pos_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + pos_, left);
        consumed_before_ += pos_;
        pos_ = 0;
        end_ = left;
    }
    while (end_ < n) {
        // A block larger than the buffer: grown as its bytes arrive, so that a length
        // field promising 128 MiB in a short file costs no more than the file.
        if (end_ == buffer_.size()) {
            buffer_.resize(std::min(n, 2 * buffer_.size()));
            data_ = buffer_.data();
        }
        const std::size_t got = read_some(buffer_.data() + end_, buffer_.size() - end_);
        if (got == 0) {
            eof_ = true;
            return false;
        }
        end_ += got;
    }
    return true;
}

std::size_t ByteSource::read_some(std::uint8_t* dst, std::size_t cap) {
    if (stream_) return stream_->read(dst, cap);
    for (;;) {
        const ssize_t got = ::read(fd_, dst, cap);
        if (got >= 0) return std::size_t(got);
        if (errno != EINTR)
            throw CaptureError(name_ + ": read error at byte " + std::to_string(consumed_before_ + end_) + ": " +
                               std::strerror(errno));
        if (on_interrupt_) on_interrupt_();
    }
}

}  // namespace sockowner::capture
