#include "journal_follower.hpp"

#include "journal_rows.hpp"
#include "text_escape.hpp"
#include "timeutil.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace sockowner::attribution {

namespace {
// Epochs are unique across followers, so that a preference change (a new follower)
// never reuses the epoch of the journal before it.
std::uint64_t next_epoch() {
    static std::uint64_t last = 0;  // dissection is single-threaded
    return ++last;
}
}  // namespace

JournalFollower::JournalFollower(std::string path, Clock clock)
    : path_(std::move(path)), clock_(std::move(clock)), epoch_(next_epoch()) {}

const ProcessRow* JournalFollower::process(std::int64_t id) const {
    auto it = processes_.find(id);
    return it == processes_.end() ? nullptr : &it->second;
}

std::string_view JournalFollower::source(std::uint8_t number) const {
    return number && number <= sources_.size() ? std::string_view(sources_[number - 1]) : std::string_view();
}

void JournalFollower::forget() {
    reader_.reset();
    index_.clear();
    coverage_ = HostCoverage();
    processes_.clear();
    ++process_generation_;
    // sources_ stay: owners remembered from the journal read before (a flow's, a
    // frame's) keep naming their socket's source by its number.
    socket_feed_ = {};
    process_seq_ = 0;
    loaded_ = windowed_ = has_window_ = false;
    ahead_.reset();
    ahead_step_ = 0;
    epoch_ = next_epoch();
}

void JournalFollower::open() {
    last_open_attempt_ = clock_();
    open_attempted_ = true;
    try {
        auto reader = std::make_unique<JournalReader>(path_);
        struct stat st{};
        if (::stat(path_.c_str(), &st) != 0) throw JournalError(path_ + ": cannot open journal: " + std::strerror(errno));
        forget();
        reader_ = std::move(reader);
        dev_ = st.st_dev;
        ino_ = st.st_ino;
        error_.clear();
    } catch (const std::exception& e) {
        error_ = e.what();
    }
}

void JournalFollower::fail(const std::exception& e) {
    std::string_view what = e.what();
    // Query errors do not name the file; an open's (the read-ahead's) does.
    error_ = what.starts_with(path_ + ": ") ? std::string(what) : path_ + ": " + std::string(what);
    reader_.reset();                   // reopened (and checked again) on a later refresh
}

void JournalFollower::take_process(const ProcessRow& p, bool read_here) {
    ProcessRow& stored = processes_[p.id] = p;
    if (read_here) {
        ++process_rows_read_;
        if (ahead_) read_here_.push_back(p.id);
    }
    // What a process calls itself reaches labels, columns, trees and tshark's output:
    // control characters and bidi overrides as visible escapes, once, here.
    for (std::string* text : {&stored.p.comm, &stored.p.cmdline, &stored.p.exe, &stored.p.user,
                              &stored.p.container, &stored.p.cgroup})
        if (!text_is_safe(*text)) *text = escape_text(*text);
    ++process_generation_;
}

void JournalFollower::take_socket(const SocketRow& r) {
    // A handful of distinct strings ("ebpf", "procfs", ...): found among the raw forms,
    // and kept with the interval as its number (1 for the first; 0 past 255 of them,
    // which only a hostile journal has).
    auto it = std::find(raw_sources_.begin(), raw_sources_.end(), r.s.source);
    if (it == raw_sources_.end() && raw_sources_.size() < 0xff) {
        sources_.push_back(escape_text(r.s.source));
        it = raw_sources_.insert(raw_sources_.end(), r.s.source);
    }
    const auto number = it != raw_sources_.end() ? std::uint8_t(it - raw_sources_.begin() + 1) : std::uint8_t(0);
    index_.upsert(r, number);
    coverage_.add_address(r.host_id, r.s.local.addr);
}

void JournalFollower::read_changes() {
    ++reads_;
    TimeNs start = clock_();
    if (!loaded_ && reader_->has_window_indexes()) {
        // Read by time: the intervals come with cover(); the feed starts from here.
        windowed_ = true;
        process_seq_ = reader_->last_process_seq();
        socket_feed_ = reader_->last_socket_feed();
    } else {
        process_seq_ = reader_->processes_since(process_seq_, [&](const ProcessRow& p) { take_process(p); });
        socket_feed_ = reader_->sockets_since(socket_feed_, [&](const SocketRow& r) {
            // By time, the owners of sockets read before the feed's start come by id.
            if (windowed_ && r.process_id > 0 && !processes_.count(r.process_id))
                if (auto p = reader_->process(r.process_id)) take_process(*p);
            take_socket(r);
        });
    }
    coverage_.set_runs(reader_->runs());
    if (!loaded_) {
        loaded_ = true;
        load_time_ = clock_() - start;
        last_retention_check_ = clock_();
    }
}

void JournalFollower::read_ahead(bool on, std::size_t max_rows) {
    if (on == read_ahead_ && max_rows == ahead_max_rows_) return;
    read_ahead_ = on;
    ahead_max_rows_ = max_rows;
    ahead_.reset();  // a read under way is dropped
}

// What reads by time ask for (the processes not read yet) and do with each row.
JournalReader::WantProcess JournalFollower::wanted() {
    return [this](std::int64_t id) { return !processes_.count(id); };
}

JournalReader::IntervalFn JournalFollower::taken() {
    return [this](const SocketRow& r, const ProcessRow* p) {
        if (p) take_process(*p);
        take_socket(r);
    };
}

// Reads what [from, to] adds to the window: forward by the intervals opened since its
// end (those opened before it that reach into it overlap the window: read already),
// backward by those overlapping the new part. Each step at least a minute and at most
// an hour, growing with the window, so that a capture read in order costs few reads.
void JournalFollower::read_window(TimeNs from, TimeNs to) {
    constexpr TimeNs kMinStep = 60'000'000'000;
    const JournalReader::WantProcess want = wanted();
    const JournalReader::IntervalFn take = taken();
    if (!has_window_) {
        window_from_ = time_add(from, -kMinStep);
        // Read ahead: the first step short, so that the next is read beside it.
        window_to_ = time_add(to, read_ahead_ ? kFirstAheadStep : kMinStep);
        ++window_reads_;
        reader_->sockets_overlapping(window_from_, window_to_, want, take);
        has_window_ = true;
        if (read_ahead_) read_forward(window_to_);  // starts the read of the next step
        return;
    }
    TimeNs step = std::clamp(window_to_ - window_from_, kMinStep, kMaxStep);
    if (read_ahead_) {
        if (to > window_to_) read_forward(to);
    } else if (to > window_to_) {
        TimeNs end = std::max(to, time_add(window_to_, step));
        ++window_reads_;
        reader_->sockets_opened(window_to_, end, want, take);
        window_to_ = end;
    }
    if (from < window_from_) {
        TimeNs start = std::min(from, time_add(window_from_, -step));
        ++window_reads_;
        reader_->sockets_overlapping(start, window_from_, want, take);
        window_from_ = start;
    }
}

// Read ahead: the step read beside the last one first, then what `to` needs beyond it
// (a gap in the capture), then the next step started: twice as long (up to an hour),
// or shorter where the last one brought more than kAheadRows (memory stays bounded).
void JournalFollower::read_forward(TimeNs to) {
    if (ahead_step_ <= 0) ahead_step_ = kFirstAheadStep;
    std::size_t rows = 0;
    bool given_up = false;
    if (ahead_ && ahead_->pending()) {
        const JournalReadAhead::Batch& b = ahead_->take();
        if (b.complete) {
            ++window_reads_;
            ++ahead_reads_;
            take_batch(b);
            rows = b.sockets.size();
        } else {
            given_up = true;
        }
    }
    if (to > window_to_) {
        TimeNs end = std::max(to, time_add(window_to_, ahead_step_));
        ++window_reads_;
        reader_->sockets_opened(window_to_, end, wanted(), taken());
        window_to_ = end;
    }
    constexpr std::size_t kAheadRows = 16384;
    constexpr TimeNs kMinAheadStep = 1'000'000;
    if (given_up)  // more than max_rows: a sixteenth of the step
        ahead_step_ = std::max(kMinAheadStep, ahead_step_ / 16);
    else if (rows > kAheadRows)
        ahead_step_ = std::max(kMinAheadStep, TimeNs(double(ahead_step_) * kAheadRows / double(rows)));
    else if (rows < kAheadRows / 2)
        ahead_step_ = std::min(2 * ahead_step_, kMaxStep);
    if (!ahead_) {
        ahead_ = std::make_unique<JournalReadAhead>(path_, dev_, ino_, ahead_max_rows_);
        read_here_.clear();
        for (const auto& [id, p] : processes_) read_here_.push_back(id);  // all read here so far
    }
    // Those read here need not be read again there (a quarter of the processes of a
    // capture of short connections were, at its first steps).
    ahead_->start(window_to_, time_add(window_to_, ahead_step_), read_here_);
    read_here_.clear();
}

void JournalFollower::take_batch(const JournalReadAhead::Batch& batch) {
    // A process comes with the first batch that names it: taken unless a read here
    // took it meanwhile (the feed's is newer); one missing from both (never, but cheap
    // to make sure) is asked for. Likewise a socket the feed brought is kept as it is.
    process_rows_read_ += std::int64_t(batch.processes.size());
    for (const ProcessRow& p : batch.processes)
        if (!processes_.count(p.id)) take_process(p, false);
    for (const SocketRow& r : batch.sockets) {
        if (index_.has(r.id)) continue;
        if (r.process_id > 0 && !processes_.count(r.process_id))
            if (auto p = reader_->process(r.process_id)) take_process(*p);
        take_socket(r);
    }
    window_to_ = batch.until;
}

void JournalFollower::cover(TimeNs from, TimeNs to) {
    // Read whole, or no journal open now (what was read stays): nothing to add.
    if (!windowed_ || !reader_ || from > to) return;
    if (has_window_ && from >= window_from_ && to <= window_to_) return;
    try {
        read_window(from, to);
    } catch (const std::exception& e) {
        fail(e);
    }
}

// True when at least a quarter of the socket rows read have left the journal since.
bool JournalFollower::rows_deleted() {
    // Nothing read yet, nothing deleted: the first check comes an interval after the
    // first read (counting a month's rows costs seconds where the file is not cached).
    if (!loaded_) return false;
    TimeNs now = clock_();
    if (now - last_retention_check_ < kRetentionCheckInterval) return false;
    last_retention_check_ = now;
    if (windowed_) {
        // Read by time: only the window's rows matter, and counting them costs what the
        // window holds, not the journal's weeks of history.
        if (!has_window_) return false;  // nothing read but the feed's new rows
        std::int64_t rows = reader_->count_overlapping(window_from_, window_to_);
        return rows * 4 < std::int64_t(index_.count_overlapping(window_from_, window_to_)) * 3;
    }
    std::int64_t rows = journal_socket_rows(path_);
    return rows * 4 < std::int64_t(index_.size()) * 3;
}

void JournalFollower::refresh(TimeNs min_interval) {
    TimeNs now = clock_();
    if (looked_ && now - last_look_ < min_interval) return;
    looked_ = true;
    last_look_ = now;
    if (reader_) {
        // The collector may have been pointed at a new file under the same name.
        struct stat st{};
        if (::stat(path_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_) reader_.reset();
    }
    if (!reader_) {
        if (open_attempted_ && now - last_open_attempt_ < kReopenInterval) return;
        open();
        if (!reader_) return;
    }
    try {
        if (rows_deleted()) {
            // Rows are never removed from the index: read the journal again (a new
            // epoch; frames keep their labels).
            open();
            if (!reader_) return;
        }
        read_changes();
        error_.clear();
    } catch (const std::exception& e) {
        fail(e);
    }
}

}  // namespace sockowner::attribution
