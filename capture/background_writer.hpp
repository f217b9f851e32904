// Writes whole buffers to a file descriptor on a thread of its own, in order, so that
// the kernel's copy of each buffer into the page cache runs beside the work that
// fills the next one (`sockowner annotate` writes several times its input: a comment
// on every packet). At most kInFlight buffers wait; the filler blocks when they are
// all taken. The first write error stops the writes and is thrown (a CaptureError
// naming the file and the byte it failed at) by the next submit() or by finish().
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sockowner::capture {

struct WriteBuffer {
    std::unique_ptr<std::uint8_t[]> data;  // not zeroed
    std::size_t capacity = 0, used = 0;
};

// Writes n bytes to fd (EINTR retried). Returns how a failure reads ("NAME: write
// error at byte AT+k: why", k the bytes written before it), empty when all were.
std::string write_fully(int fd, const std::string& name, std::uint64_t at, const std::uint8_t* p, std::size_t n);

class BackgroundWriter {
public:
    static constexpr std::size_t kInFlight = 4;

    // Starts the thread; `fd` is the caller's (not closed here).
    BackgroundWriter(int fd, std::string name_for_errors);
    // Stops the thread after the write under way; buffers not yet written are dropped
    // (finish() is how a complete file is made).
    ~BackgroundWriter();
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    // Queues `full` (its `used` bytes) and returns an empty buffer of at least
    // `min_capacity` bytes, one already written when there is one. Throws an earlier
    // write's error.
    WriteBuffer submit(WriteBuffer full, std::size_t min_capacity);
    // Waits until everything queued is written; throws a write error.
    void finish();

private:
    void run();
    void throw_if_failed();  // with mu_ held

    int fd_;
    std::string name_;
    std::mutex mu_;
    std::condition_variable queued_, written_;  // for the thread; for submit() and finish()
    std::deque<WriteBuffer> queue_;             // to write, in order
    std::vector<WriteBuffer> free_;             // written, to reuse
    std::size_t in_flight_ = 0;                 // queued or being written
    std::uint64_t offset_ = 0;                  // bytes written so far
    std::string error_;                         // the first write error's message
    bool stop_ = false;
    std::thread thread_;  // last: started once the members above exist
};

}  // namespace sockowner::capture
