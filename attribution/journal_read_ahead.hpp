// The journal's next stretch of time, read on a thread and a connection of its own while
// the caller attributes the stretch before: `sockowner annotate` reads a capture in time
// order, and a capture of short connections brings a journal row every few packets, so
// that the SQLite work of reading them (half of the instructions) runs on the other core.
// One read at a time; the caller takes its rows (waiting for them) before the next.
#pragma once

#include "reader.hpp"
#include "types.hpp"

#include <sys/types.h>

#include <atomic>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace sockowner::attribution {

class JournalReadAhead {
public:
    // A read that would hold more rows than max_rows (by default kMaxRows) is given up (a
    // storm in the journal, a step that grew over a quiet stretch): its memory stays
    // bounded, and the caller reads that step itself, into the index, as without it.
    static constexpr std::size_t kMaxRows = 1u << 18;
    struct Batch {
        TimeNs after = 0, until = 0;  // the intervals opened in (after, until]
        bool complete = true;         // false: given up at max_rows, nothing in it
        std::vector<SocketRow> sockets;
        std::vector<ProcessRow> processes;  // theirs, each the first time a batch names it
    };

    // The journal at `path`, which must still be the file (device, inode) the caller reads.
    JournalReadAhead(std::string path, dev_t dev, ino_t ino, std::size_t max_rows = kMaxRows);
    ~JournalReadAhead();  // stops a read under way and waits for it
    JournalReadAhead(const JournalReadAhead&) = delete;
    JournalReadAhead& operator=(const JournalReadAhead&) = delete;

    // Starts reading the intervals opened in (after, until]; a read not taken is dropped.
    // `have`: processes the caller read itself since the last start (no batch brings
    // them). Opens the journal the first time: throws its JournalError.
    void start(TimeNs after, TimeNs until, std::span<const std::int64_t> have = {});
    bool pending() const { return started_; }
    // Waits for the read started and returns its rows, valid until the next start();
    // throws what the read threw (a JournalError naming the file). Each process comes
    // once over all the batches taken.
    const Batch& take();
    // Waits for the read under way to end (take() does; tests too, without taking).
    void wait();

private:
    struct Stopped {};
    struct TooMany {};
    void run();
    void stop();
    void drop();  // the batch, not taken
    void clear_rows();

    std::string path_;
    dev_t dev_;
    ino_t ino_;
    std::size_t max_rows_;
    std::unique_ptr<JournalReader> reader_;     // opened by the first start(), used by one thread at a time
    std::unordered_set<std::int64_t> delivered_;  // processes sent with a batch before, or the caller's
    Batch batch_;
    std::exception_ptr error_;
    std::atomic<bool> stop_{false};
    bool started_ = false;  // and not taken
    std::thread thread_;  // the read under way; batch_, error_, reader_ are its until joined
};

}  // namespace sockowner::attribution
