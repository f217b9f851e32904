#include "background_writer.hpp"

#include "capture_types.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace sockowner::capture {

std::string write_fully(int fd, const std::string& name, std::uint64_t at, const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
        const ssize_t done = ::write(fd, p, n);
        if (done < 0 && errno == EINTR) continue;
        if (done <= 0)
            return name + ": write error at byte " + std::to_string(at) + ": " +
                   (done < 0 ? std::generic_category().message(errno) : "nothing written");
        p += done;
        n -= std::size_t(done);
        at += std::uint64_t(done);
    }
    return {};
}

BackgroundWriter::BackgroundWriter(int fd, std::string name_for_errors)
    : fd_(fd), name_(std::move(name_for_errors)), thread_([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    queued_.notify_one();
    thread_.join();
}

void BackgroundWriter::throw_if_failed() {
    if (!error_.empty()) throw CaptureError(error_);
}

WriteBuffer BackgroundWriter::submit(WriteBuffer full, std::size_t min_capacity) {
    WriteBuffer next;
    {
        std::unique_lock lock(mu_);
        throw_if_failed();
        queue_.push_back(std::move(full));
        ++in_flight_;
        queued_.notify_one();
        // Room for one more being filled: wait while all the others are queued.
        written_.wait(lock, [&] { return in_flight_ < kInFlight || !error_.empty(); });
        throw_if_failed();
        if (!free_.empty()) {
            next = std::move(free_.back());
            free_.pop_back();
        }
    }
    if (next.capacity < min_capacity) {
        next.data = std::make_unique_for_overwrite<std::uint8_t[]>(min_capacity);
        next.capacity = min_capacity;
    }
    next.used = 0;
    return next;
}

void BackgroundWriter::finish() {
    std::unique_lock lock(mu_);
    written_.wait(lock, [&] { return in_flight_ == 0 || !error_.empty(); });
    throw_if_failed();
}

void BackgroundWriter::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        WriteBuffer b = std::move(queue_.front());
        queue_.pop_front();
        const std::uint64_t at = offset_;
        lock.unlock();
        std::string error = write_fully(fd_, name_, at, b.data.get(), b.used);
        lock.lock();
        offset_ += b.used;
        --in_flight_;
        if (!error.empty() && error_.empty()) {
            error_ = std::move(error);
            queue_.clear();  // nothing after a failed write may land in the file
            in_flight_ = 0;
        }
        if (free_.size() < kInFlight) free_.push_back(std::move(b));
        written_.notify_all();
    }
}

}  // namespace sockowner::capture
