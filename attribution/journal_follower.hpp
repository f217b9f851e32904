// The plugin's view of one journal: the ownership index, the processes, the collector
// runs. Follows a journal that is still being written: each refresh reads only the rows
// changed since the last one (the `seq` column), and no more often than asked.
// A journal with the time-window indexes (schema.hpp) is read by time: only the
// intervals around the packets' times (cover()), so that a capture costs what it
// holds, not what the journal has kept for a week; one without them is read whole.
#pragma once

#include "host_coverage.hpp"
#include "id_map.hpp"
#include "journal_read_ahead.hpp"
#include "owner_index.hpp"
#include "reader.hpp"
#include "timeutil.hpp"

#include <sys/types.h>

#include <functional>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace sockowner::attribution {

// Monotonic nanoseconds (monotonic_now, timeutil.hpp); tests substitute their own clock.
using Clock = std::function<TimeNs()>;

class JournalFollower {
public:
    // After a failed open, try again at most this often (the collector may create it later).
    static constexpr TimeNs kReopenInterval = 1'000'000'000;
    // How often a followed journal is checked for rows the collector's retention deleted
    // (it applies retention every minute); once a quarter of the rows read are gone,
    // the journal is read again from the start, so that memory follows the journal.
    static constexpr TimeNs kRetentionCheckInterval = 60'000'000'000;
    // The longest step cover() reads at once; read ahead, the first one.
    static constexpr TimeNs kMaxStep = 3'600'000'000'000, kFirstAheadStep = 1'000'000'000;

    explicit JournalFollower(std::string path, Clock clock = monotonic_now);

    // Opens the journal when needed and reads the rows changed since the last look,
    // unless that look was less than `min_interval` ago. A journal replaced by another
    // file is read again from the start. Never throws: failures land in error().
    void refresh(TimeNs min_interval);

    // Makes the index hold every interval overlapping [from, to] (packet times, widened
    // by the match's slack and grace): reads the journal for the part of that range not
    // read yet, in steps of a minute to an hour. Never throws (as refresh()).
    void cover(TimeNs from, TimeNs to);
    // Reading by time (cover()) rather than the whole journal at once.
    bool windowed() const { return windowed_; }
    // For a capture read in time order (a file, not a live capture): cover() reads the
    // next stretch of time on another thread while the caller works through this one,
    // in steps from a second doubling up to an hour (fewer where the journal is dense:
    // some 16 000 rows a step). Rows the change feed brought meanwhile are newer than
    // those read ahead: they are kept. `max_rows`: a step's rows held at most
    // (JournalReadAhead), for tests.
    void read_ahead(bool on, std::size_t max_rows = JournalReadAhead::kMaxRows);
    // Waits until the read ahead under way has its rows (not taken yet), for tests.
    void wait_for_read_ahead() {
        if (ahead_) ahead_->wait();
    }

    // True once the journal was read; its rows stay usable after a later failure.
    bool usable() const { return reader_ != nullptr || index_.size() > 0; }
    // Why the journal cannot be read (one line naming the file), or empty.
    const std::string& error() const { return error_; }
    const std::string& path() const { return path_; }

    const OwnerIndex& index() const { return index_; }
    const HostCoverage& coverage() const { return coverage_; }
    // The row stays where it is, unchanged, while process_generation() stays the same.
    const ProcessRow* process(std::int64_t id) const;
    // Changes whenever process rows are read or forgotten: what was rendered from them is stale.
    std::uint64_t process_generation() const { return process_generation_; }
    // Names the journal file the rows were read from, unique in the process (across
    // followers too): changes when a rotation or a reopen forgets every row, after
    // which row ids name other sockets and processes.
    std::uint64_t epoch() const { return epoch_; }
    // "ebpf", "iterator", "procfs": how the collector learnt of the socket.
    // `source` of a SideOwner or an indexed socket's `tag` (empty for 0 or unknown).
    std::string_view source(std::uint8_t number) const;

    std::int64_t reads() const { return reads_; }  // change-feed reads made, for tests and benchmarks
    std::int64_t window_reads() const { return window_reads_; }  // cover() reads made
    std::int64_t ahead_reads() const { return ahead_reads_; }    // those read ahead, on the other thread
    // Process rows read from the journal, on either thread (a process read twice counts
    // twice), and the processes known: equal when none was read twice.
    std::int64_t process_rows_read() const { return process_rows_read_; }
    std::size_t processes_known() const { return processes_.size(); }
    TimeNs load_time() const { return load_time_; }  // how long the first read took

private:
    void open();
    void read_changes();
    void read_window(TimeNs from, TimeNs to);
    void read_forward(TimeNs to);
    JournalReader::WantProcess wanted();
    JournalReader::IntervalFn taken();
    void take_batch(const JournalReadAhead::Batch& batch);
    void take_socket(const SocketRow& r);
    // `read_here`: read on this thread, not brought by the read-ahead.
    void take_process(const ProcessRow& p, bool read_here = true);
    void fail(const std::exception& e);
    void forget();
    bool rows_deleted();

    std::string path_;
    Clock clock_;
    std::unique_ptr<JournalReader> reader_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
    std::string error_;
    TimeNs last_look_ = 0, last_open_attempt_ = 0, last_retention_check_ = 0;
    bool looked_ = false, open_attempted_ = false, loaded_ = false;
    bool windowed_ = false, has_window_ = false;
    TimeNs window_from_ = 0, window_to_ = 0;  // every interval overlapping it is in the index
    bool read_ahead_ = false;
    std::unique_ptr<JournalReadAhead> ahead_;  // reading (window_to_, window_to_ + ahead_step_]
    std::vector<std::int64_t> read_here_;      // processes read here since ahead_ started: it skips them
    TimeNs ahead_step_ = 0;
    std::size_t ahead_max_rows_ = JournalReadAhead::kMaxRows;
    SocketFeed socket_feed_;
    std::int64_t process_seq_ = 0, reads_ = 0, window_reads_ = 0, ahead_reads_ = 0, process_rows_read_ = 0;
    std::uint64_t process_generation_ = 0;
    std::uint64_t epoch_;
    TimeNs load_time_ = 0;

    OwnerIndex index_;
    HostCoverage coverage_;
    std::unordered_map<std::int64_t, ProcessRow> processes_;
    // Escaped, as shown; numbered from 1 in the order first seen, kept for the follower's
    // life (a journal read again keeps the numbers owners remembered carry), never moved
    // (annotate keys on their address); at most 255, then 0 for any other.
    std::deque<std::string> sources_;
    std::vector<std::string> raw_sources_;  // the same as the journal has them, to match rows without escaping each
};

}  // namespace sockowner::attribution
