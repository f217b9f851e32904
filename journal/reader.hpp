// Read-only access to a journal: incremental row feeds, per-port candidates, export and stats.
#pragma once

#include "sqlite.hpp"
#include "types.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace sockowner {

struct SocketRow {
    std::int64_t id = 0, seq = 0, host_id = 0, process_id = 0;
    SocketRecord s;
};

struct ProcessRow {
    std::int64_t id = 0, seq = 0, host_id = 0;
    ProcessInfo p;
    TimeNs first_seen = 0;
    std::optional<TimeNs> exit_time;
};

struct RunRow {
    std::int64_t id = 0, host_id = 0, pid = 0;
    std::string version, mode, reason;
    TimeNs started = 0;
    std::optional<TimeNs> stopped;
};

struct SocketCount {
    std::string proto, source;
    int family = 0;
    std::int64_t total = 0, open = 0;
};

// Where a change feed of the sockets table stands: rows with a higher id are new (the
// writer numbers them in commit order), rows whose `changed` is higher were updated.
// In a journal of schema 3 or older, `change` is the highest seq seen instead.
struct SocketFeed {
    std::int64_t id = 0, change = 0;
    bool operator==(const SocketFeed&) const = default;
};

class JournalReader {
public:
    // Opens read-only; throws JournalError if the file is missing, unreadable, not a
    // sockowner journal, damaged, or of a newer schema. Never creates or changes a file.
    explicit JournalReader(const std::string& path);

    const std::string& path() const { return db_->path(); }
    // Makes a query under way on another thread stop soon with an error (sqlite3_interrupt):
    // the only call that may come from another thread.
    void interrupt() { sqlite3_interrupt(db_->get()); }

    // Rows inserted or changed since `after` (every row, in id order, from an empty
    // feed); returns where the feed stands now. A row may come twice (added, then
    // updated before it was read).
    SocketFeed sockets_since(SocketFeed after, const std::function<void(const SocketRow&)>& fn);
    std::int64_t processes_since(std::int64_t after_seq, const std::function<void(const ProcessRow&)>& fn);

    // Time windows (what the plugin reads for a capture), when has_window_indexes():
    // two index range scans each, whatever the journal's size. The owner's row is read
    // (and passed to `fn`) only when `want(process_id)`; otherwise fn gets nullptr.
    // Their rows leave seq, family, netns and cookie 0 (what reading by time needs not).
    using WantProcess = std::function<bool(std::int64_t process_id)>;
    using IntervalFn = std::function<void(const SocketRow&, const ProcessRow*)>;
    bool has_window_indexes();
    // Every interval overlapping [from, to] (and perhaps a few more).
    void sockets_overlapping(TimeNs from, TimeNs to, const WantProcess& want, const IntervalFn& fn);
    // How many distinct intervals overlap [from, to]: those sockets_overlapping() reads.
    std::int64_t count_overlapping(TimeNs from, TimeNs to);
    // Every interval opened in (after, until].
    void sockets_opened(TimeNs after, TimeNs until, const WantProcess& want, const IntervalFn& fn);
    // Where the feeds stand now: one that starts here sees every later change.
    SocketFeed last_socket_feed();
    std::int64_t last_process_seq();

    // The intervals of this protocol and local port overlapping [from, to] (and perhaps
    // a few more): the candidates of one lookup, read by time (the journal keeps no
    // index by port; one of schema version 2 without time indexes is read by its own).
    std::vector<SocketRow> sockets_on_port(Proto proto, std::uint16_t port, TimeNs from, TimeNs to);
    // When the last interval of this protocol and local port opened within [from, to].
    std::optional<TimeNs> last_opened_on_port(Proto proto, std::uint16_t port, TimeNs from, TimeNs to);
    std::optional<ProcessRow> process(std::int64_t id);

    // Intervals that overlap [since, until], oldest first, with their owners.
    void intervals(std::optional<TimeNs> since, std::optional<TimeNs> until,
                   const std::function<void(const SocketRow&, const ProcessRow*)>& fn);

    // One self-contained copy of the journal as it is now (a consistent snapshot, no
    // -wal or -shm), with only the intervals overlapping [since, until] when given.
    // Refuses to overwrite `out`.
    void snapshot(const std::string& out, std::optional<TimeNs> since, std::optional<TimeNs> until);

    // Intervals not closed yet (what the collector holds open), by protocol and port.
    void open_intervals(const std::function<void(const SocketRow&, const ProcessRow*)>& fn);

    std::vector<RunRow> runs();
    std::vector<std::pair<std::string, std::int64_t>> counters(std::int64_t run_id);
    std::vector<SocketCount> socket_counts();
    std::int64_t process_count();
    std::int64_t file_size();

private:
    void each_interval(Stmt& st, const std::function<void(const SocketRow&, const ProcessRow*)>& fn);
    void each_wanted(Stmt& st, const WantProcess& want, const IntervalFn& fn);
    // A statement prepared on first use and kept: those a follower runs again and again.
    Stmt& kept(Stmt& st, std::string_view sql);
    std::unique_ptr<Db> db_;
    // Prepared once: reading by time asks for each process it lacks; a follower asks for
    // changes and runs ten times a second.
    Stmt process_by_id_, processes_by_ids_, added_sockets_, changed_sockets_, changed_processes_, runs_;
    bool changed_column_ = false;  // schema 4: sockets.changed and its index
};

}  // namespace sockowner
