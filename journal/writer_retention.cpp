// Retention: what JournalWriter deletes to keep the journal within --retain and
// --max-size, once a minute, in steps the collector interleaves with its events.
#include "writer.hpp"

#include <algorithm>
#include <limits>

namespace sockowner {

std::int64_t JournalWriter::apply_retention(TimeNs now) {
    flush();
    std::int64_t removed = 0;
    const std::int64_t step = std::max<std::int64_t>(1, opt_.retention_step);
    retention_unfinished_ = false;
    auto changes = [&] { return std::int64_t(sqlite3_changes(db_->get())); };
    if (opt_.retain > 0) {
        Transaction tx(*db_);
        // An interval closed before the cut-off opened before it: the opened index finds
        // those without reading the rest of the journal, once a minute. (One the wall
        // clock stepped back during goes when its opening passes the cut-off too.)
        Stmt drop = db_->prepare("DELETE FROM sockets WHERE id IN (SELECT id FROM sockets WHERE opened < ?1 AND "
                                 "closed IS NOT NULL AND closed < ?1 LIMIT ?2) RETURNING process_id");
        drop.bind(1, now - opt_.retain).bind(2, step);
        const std::int64_t gone = delete_sockets(drop);
        removed += gone;
        if (socket_rows_ >= 0) socket_rows_ -= gone;
        tx.commit();
        retention_unfinished_ = removed == step;
    }
    if (opt_.max_size > 0 && removed < step) removed += shrink_to(opt_.max_size, step - removed);
    if (removed > 0 && !retention_unfinished_) {
        // Processes no interval refers to any more, that have exited or were last
        // needed before the cut-off, go too (once the intervals' steps are done). Rows
        // are numbered as first seen: only those before the first seen since the cut-off
        // are read, not every process each minute. (One written while the wall clock was
        // ahead holds the rest back until the cut-off passes it.)
        TimeNs cutoff = opt_.retain > 0 ? now - opt_.retain : now;
        Transaction tx(*db_);
        db_->prepare(
               "DELETE FROM processes WHERE id < coalesce((SELECT id FROM processes WHERE first_seen >= ?1 "
               "ORDER BY id LIMIT 1), 9223372036854775807) AND coalesce(exit_time, first_seen) < ?1 "
               "AND (exit_time IS NOT NULL OR host_id != ?2) "
               "AND socket_refs <= 0")
            .bind(1, cutoff)
            .bind(2, host_id_)
            .run();
        removed += changes();
        tx.commit();
    }
    if (removed > 0) {
        db_->exec("PRAGMA incremental_vacuum");
        checkpoint();
    }
    return removed;
}

// The oldest closed intervals go, in steps sized by how far over the file is, until
// it fits: the newest that fit stay. Open intervals always stay. Measured with the log
// checkpointed; a reader that blocks the checkpoint ends the attempt (next time).
// Each step is a cut-off time, as retention by age: every interval closed before the
// n-th oldest opening goes (n or fewer: some opened before it are still open or long),
// through the opened index; neither a count of the closed rows nor a sort of them by
// closing reads the whole journal each time the file outgrows its limit.
std::int64_t JournalWriter::shrink_to(std::int64_t max_size, std::int64_t budget) {
    std::int64_t removed = 0, boost = 1;
    Stmt nth = db_->prepare("SELECT opened FROM sockets ORDER BY opened LIMIT 1 OFFSET ?");
    Stmt drop = db_->prepare("DELETE FROM sockets WHERE id IN (SELECT id FROM sockets WHERE opened < ?1 AND "
                             "closed IS NOT NULL AND closed < ?1 ORDER BY opened LIMIT ?2) RETURNING process_id");
    for (int round = 0; round < 64; ++round) {
        if (!checkpoint()) break;
        std::int64_t size = file_size();
        if (size <= max_size) break;
        if (removed >= budget) {  // the rest in the next call
            retention_unfinished_ = true;
            break;
        }
        std::int64_t rows = socket_rows();
        double excess = double(size - max_size) / double(size);
        // A step that removed nothing (its oldest intervals all open or long) doubles.
        auto n = std::min(rows, std::max<std::int64_t>(1, std::int64_t(double(rows) * std::min(1.0, excess + 0.02))) * boost);
        nth.bind(1, n);
        const bool all = !nth.step();  // fewer than n+1 rows: every closed interval goes
        const TimeNs cut = all ? std::numeric_limits<TimeNs>::max() : nth.i64(0);
        nth.reset();
        Transaction tx(*db_);
        drop.bind(1, cut).bind(2, budget - removed);  // the oldest first, within the step
        const std::int64_t gone = delete_sockets(drop);
        tx.commit();
        removed += gone;
        socket_rows_ -= gone;
        db_->exec("PRAGMA incremental_vacuum");
        if (gone == 0) {
            if (all) break;  // only open intervals left: nothing more may go
            boost *= 2;
        }
    }
    return removed;
}

std::int64_t JournalWriter::delete_sockets(Stmt& st) {
    RefChanges refs;
    std::int64_t gone = 0;
    for (; st.step(); ++gone)
        if (!st.is_null(0)) --refs[st.i64(0)];
    st.reset();
    apply_refs(refs);
    return gone;
}

void JournalWriter::apply_refs(const RefChanges& changes) {
    for (const auto& [process, n] : changes)
        if (n != 0) add_refs_.bind(1, n).bind(2, process).run();
}

std::int64_t JournalWriter::socket_rows() {
    if (socket_rows_ < 0) {
        Stmt count = db_->prepare("SELECT count(*) FROM sockets");
        socket_rows_ = count.step() ? count.i64(0) : 0;
    }
    return socket_rows_;
}

}  // namespace sockowner
