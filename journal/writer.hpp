// The journal's single writer: batches ownership events into one transaction per flush.
#pragma once

#include "host.hpp"
#include "sqlite.hpp"
#include "types.hpp"

#include <map>
#include <optional>
#include <memory>
#include <unordered_map>
#include <variant>
#include <vector>

namespace sockowner {

struct WriterOptions {
    // A row becomes visible to readers at most this long after its event, plus the
    // time of one commit. Under load one transaction carries everything queued meanwhile.
    TimeNs flush_delay = 20 * 1'000'000;
    // Commits are at least this far apart: each writes the same few pages (table and
    // index leaves) however few rows it carries, so under load fewer, larger ones.
    TimeNs commit_gap = 50 * 1'000'000;
    std::size_t max_batch = 20000;  // flush early when this many operations wait
    // While the journal cannot be written (disk full), at most this many operations
    // wait in memory (about 150 bytes each); beyond it the oldest are dropped.
    std::size_t max_pending = 2'000'000;
    TimeNs retain = 0;              // delete intervals closed longer ago than this (0: keep)
    std::int64_t max_size = 0;      // keep the file (and its log) under this many bytes (0: no limit)
    // At most this many intervals go per apply_retention(): a journal far over its limits
    // (a first --retain on a month's journal) is cut in steps, with events read between.
    std::int64_t retention_step = 20000;
    // The write-ahead log may grow to this while a reader keeps it from being reset;
    // beyond it, writes wait (queued) for the reader to let go. 0: no bound.
    std::int64_t max_wal = 64ll << 20;
};

// A socket interval left open by an earlier run, offered for adoption.
struct OpenInterval {
    std::int64_t id;
    SocketRecord socket;
    ProcessInfo owner;
};

class JournalWriter {
public:
    using SocketId = std::int64_t;

    // Creates the file (mode 0640, group "wireshark" when that group exists) and its
    // directory if needed. Refuses files that are not sockowner journals, journals of
    // a newer schema, and a journal another collector is writing.
    // `predecessor`: the writer of the same path before a rotation, whose lock passes on.
    JournalWriter(const std::string& path, WriterOptions options = {}, const JournalWriter* predecessor = nullptr);
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    // Records this collector run and how it collects ("ebpf" or "procfs", and why).
    void begin_run(std::string_view mode, std::string_view reason);
    // Recorded with the version of the runs that begin after it (e.g. "bpf 1a2b3c4d":
    // which build's programs are attached in the kernel).
    void set_build_note(std::string note) { build_note_ = std::move(note); }
    // The same for a run whose times are known rather than now (journals written after
    // the fact: test fixtures, imports). end_run records the stop; close() then leaves it.
    void begin_run(std::string_view mode, std::string_view reason, TimeNs started);
    void end_run(TimeNs stopped);
    // The last run of this host before this one: a counter it recorded, when it stopped.
    std::optional<std::int64_t> last_run_counter(std::string_view name);
    std::optional<TimeNs> last_run_stop();

    // Intervals of this host and boot still open from an earlier run.
    std::vector<OpenInterval> take_open_intervals();

    SocketId open_socket(const SocketRecord& s, const ProcessInfo& owner);
    void close_socket(SocketId id, TimeNs when);
    // The socket changes hands (accept() in a worker): the interval is re-attributed.
    void set_owner(SocketId id, const ProcessInfo& owner);
    void process_exited(const ProcessKey& key, TimeNs when);
    void set_counter(std::string_view name, std::int64_t value);

    std::size_t pending() const { return ops_.size(); }
    // When the oldest queued operation must be committed (INT64_MAX when none waits).
    TimeNs flush_deadline() const;
    // One transaction for everything queued. On failure (JournalError) nothing of it
    // is written and all of it stays queued; flush_deadline() then waits a second.
    void flush();
    // Deletes old intervals and processes per the options; returns rows removed. At
    // most retention_step intervals: retention_unfinished() then says to call again soon.
    std::int64_t apply_retention(TimeNs now);
    bool retention_unfinished() const { return retention_unfinished_; }
    // Stops the run: flushes and records the stop time. Called by the destructor too.
    void close();
    // Writes the log into the file itself (false when a reader kept it from completing).
    bool checkpoint();
    // Where the file is now ("" when it was deleted); it may have been moved away.
    std::string current_path() const;
    // After the file was moved (a rotation) and before a new journal is opened at its
    // path: its -wal and -shm follow it if they were left behind. Returns where it is.
    std::string follow_rotation();
    // For a rotated file no collector writes any more (its writer destroyed): one file,
    // no -wal and -shm, that can be copied, compressed or sent. False if a reader has it.
    static bool make_self_contained(const std::string& path);

    const std::string& path() const { return db_->path(); }
    std::int64_t rows_written() const { return rows_written_; }
    std::int64_t failed_flushes() const { return failed_flushes_; }
    std::int64_t dropped() const { return dropped_; }  // operations given up (max_pending)
    std::int64_t file_size() const;  // the database and its write-ahead log

private:
    struct OpOpen {
        SocketId id;
        SocketRecord s;
        ProcessKey owner;
    };
    struct OpClose {
        SocketId id;
        TimeNs when;
    };
    struct OpOwner {
        SocketId id;
        ProcessKey owner;
    };
    struct OpExit {
        ProcessKey key;
        TimeNs when;
    };
    using Op = std::variant<OpOpen, OpClose, OpOwner, OpExit>;

    void enqueue(Op op);
    void write_batch(std::vector<Op>& ops, std::vector<ProcessKey>& exited);
    std::int64_t process_row(const ProcessKey& key);
    void remember(const ProcessInfo& p);
    void close_stale_intervals();
    std::int64_t wal_size() const;
    void check_wal();
    std::int64_t shrink_to(std::int64_t max_size, std::int64_t budget);
    // Process row id → change of its socket_refs, applied once per process per transaction.
    using RefChanges = std::unordered_map<std::int64_t, std::int64_t>;
    // Runs a DELETE of socket rows that returns their process_id; returns rows deleted.
    std::int64_t delete_sockets(Stmt& st);
    void apply_refs(const RefChanges& changes);
    std::int64_t socket_rows();

    WriterOptions opt_;
    std::unique_ptr<Db> db_;
    int lock_fd_ = -1;
    int file_fd_ = -1;  // the journal file itself, to find it once moved
    std::int64_t host_id_ = 0, run_id_ = 0;
    std::int64_t next_socket_id_ = 1, next_seq_ = 1;
    std::int64_t rows_written_ = 0, failed_flushes_ = 0, dropped_ = 0;
    std::int64_t socket_rows_ = -1;  // rows in `sockets`: counted when first needed (-1), then kept
    TimeNs retry_at_ = 0;  // after a failed flush, the next attempt
    std::vector<Op> ops_;
    TimeNs first_pending_ = 0;
    TimeNs last_commit_ = INT64_MIN / 2;
    // Process details waiting to be written, and rows already written this run.
    std::unordered_map<ProcessKey, ProcessInfo, ProcessKeyHash> process_info_;
    std::unordered_map<ProcessKey, std::int64_t, ProcessKeyHash> process_ids_;
    std::map<std::string, std::int64_t, std::less<>> counters_;
    bool counters_dirty_ = false, closed_ = false, retention_unfinished_ = false;
    std::string build_note_;

    Stmt ins_socket_, close_socket_, owner_of_, set_owner_, upsert_process_, exit_process_, set_counter_, add_refs_;
};

}  // namespace sockowner
