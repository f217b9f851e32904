#include "journal_read_ahead.hpp"

#include <sys/stat.h>

#include <utility>

namespace sockowner::attribution {

JournalReadAhead::JournalReadAhead(std::string path, dev_t dev, ino_t ino, std::size_t max_rows)
    : path_(std::move(path)), dev_(dev), ino_(ino), max_rows_(max_rows) {}

JournalReadAhead::~JournalReadAhead() { stop(); }

void JournalReadAhead::stop() {
    if (thread_.joinable()) {
        stop_ = true;
        reader_->interrupt();  // a long step (a cold file, a damaged one) ends now, not in 30 s
        thread_.join();
        stop_ = false;
    }
    if (started_) drop();
    started_ = false;
    error_ = nullptr;
}

void JournalReadAhead::drop() {
    // Its processes never reached the caller: sent again with a later batch.
    for (const ProcessRow& p : batch_.processes) delivered_.erase(p.id);
    clear_rows();
}

void JournalReadAhead::clear_rows() {
    batch_.sockets.clear();  // their memory kept for the next read
    batch_.processes.clear();
}

void JournalReadAhead::start(TimeNs after, TimeNs until, std::span<const std::int64_t> have) {
    stop();
    delivered_.insert(have.begin(), have.end());
    if (!reader_) {
        // Opened here, not on the thread: stop() may interrupt it at any time.
        auto reader = std::make_unique<JournalReader>(path_);
        struct stat st{};
        // The file the caller reads, not one put in its place since.
        if (::stat(path_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_)
            throw JournalError(path_ + ": replaced while read");
        reader_ = std::move(reader);
    }
    batch_.after = after;
    batch_.until = until;
    clear_rows();  // the batch taken last
    batch_.complete = true;
    thread_ = std::thread([this] { run(); });
    started_ = true;
}

void JournalReadAhead::wait() {
    if (thread_.joinable()) thread_.join();
}

void JournalReadAhead::run() {
    try {
        auto want = [this](std::int64_t id) { return !delivered_.count(id); };
        reader_->sockets_opened(batch_.after, batch_.until, want, [this](const SocketRow& s, const ProcessRow* p) {
            if (stop_) throw Stopped{};
            if (batch_.sockets.size() >= max_rows_) throw TooMany{};
            batch_.sockets.push_back(s);
            if (p) {
                batch_.processes.push_back(*p);
                delivered_.insert(p->id);
            }
        });
    } catch (const Stopped&) {
    } catch (const TooMany&) {
        drop();
        batch_.sockets.shrink_to_fit();  // the steps after it are shorter
        batch_.complete = false;
    } catch (...) {
        error_ = std::current_exception();
    }
}

const JournalReadAhead::Batch& JournalReadAhead::take() {
    if (!started_) {  // nothing under way: nothing read (the caller reads the step itself)
        clear_rows();  // the batch taken last: its processes did reach the caller
        batch_.complete = false;
        return batch_;
    }
    wait();
    started_ = false;
    if (std::exception_ptr e = std::exchange(error_, nullptr)) {
        drop();
        reader_.reset();  // opened again (and checked) by the next read
        std::rethrow_exception(e);
    }
    return batch_;
}

}  // namespace sockowner::attribution
