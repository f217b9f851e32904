#include "writer.hpp"

#include "schema.hpp"
#include "timeutil.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#ifndef SOCKOWNER_VERSION
#define SOCKOWNER_VERSION "unknown"
#endif

namespace sockowner {

namespace {

constexpr mode_t kFileMode = 0640;

gid_t wireshark_gid() {
    group g{}, *res = nullptr;
    char buf[4096];
    if (getgrnam_r("wireshark", &g, buf, sizeof buf, &res) == 0 && res) return res->gr_gid;
    return gid_t(-1);
}

std::string errno_text() { return std::strerror(errno); }

// Takes the single-writer lock: flock() on a file of the collector's own next to the
// journal (".NAME.lock", mode 0600), never on the journal, which its readers may open
// and lock themselves. Returns the locked descriptor.
int take_writer_lock(const std::string& path) {
    std::filesystem::path p(path);
    std::string lock = (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw JournalError(lock + ": cannot create the collector's lock file: " + errno_text());
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        ::close(fd);
        throw JournalError(lock + ": the lock file belongs to someone else (uid " + std::to_string(st.st_uid) +
                           "): remove it");
    }
    if (st.st_mode & 077) fchmod(fd, 0600);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        throw JournalError(path + ": journal is being written by another sockowner collector");
    }
    return fd;
}

// Opens (creating when missing) the journal file with the right mode and group; never
// through a symbolic link (a collector runs as root; the path may be in a directory
// others can write to). An existing file more open than 0640 is brought back to it.
int prepare_journal_file(const std::string& path, bool& created) {
    int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    created = false;
    if (fd < 0 && errno == ENOENT) {
        fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kFileMode);
        if (fd >= 0) {
            created = true;
            fchmod(fd, kFileMode);  // whatever the umask
            if (gid_t gid = wireshark_gid(); gid != gid_t(-1) && fchown(fd, uid_t(-1), gid) != 0) {
                // Not allowed to give it the group: then only its owner reads it. No harm.
            }
        }
    }
    if (fd < 0 && errno == ELOOP) throw JournalError(path + ": is a symbolic link: the collector does not write through one");
    if (fd < 0) throw JournalError(path + ": cannot open journal for writing: " + errno_text());
    struct stat st{};
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && (st.st_mode & 07137)) fchmod(fd, st.st_mode & kFileMode);
    if (!regular) {
        ::close(fd);
        throw JournalError(path + ": not a regular file");
    }
    return fd;  // kept: where the file is now, should it be moved (rotation)
}

Stmt& bind_text_or_null(Stmt& st, int i, const std::string& s) {
    return s.empty() ? st.bind_null(i) : st.bind(i, s);
}

}  // namespace

JournalWriter::JournalWriter(const std::string& path, WriterOptions options, const JournalWriter* predecessor)
    : opt_(options) {
    std::filesystem::path p(path);
    if (p.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(p.parent_path(), ec);
        if (ec)
            throw JournalError(path + ": cannot create directory: " + ec.message() +
                               " (choose a journal you may write: --journal PATH or $SOCKOWNER_JOURNAL)");
    }
    // Reopened at the same path (a rotation): the lock passes on, it is not taken again.
    lock_fd_ = predecessor && predecessor->lock_fd_ >= 0 ? ::fcntl(predecessor->lock_fd_, F_DUPFD_CLOEXEC, 0)
                                                         : take_writer_lock(path);
    if (lock_fd_ < 0) throw JournalError(path + ": cannot share the collector's lock: " + errno_text());
    bool created = false;
    try {
        file_fd_ = prepare_journal_file(path, created);
    } catch (...) {
        ::close(lock_fd_);
        throw;
    }
    try {
        db_ = std::make_unique<Db>(path, Db::Mode::read_write_create);
        schema::create_or_validate(*db_);
        db_->exec("PRAGMA journal_mode = WAL");
        db_->exec("PRAGMA synchronous = NORMAL");  // WAL + NORMAL: a crash loses no committed row
        db_->exec("PRAGMA foreign_keys = OFF");
        // A journal we write is ours: no step budget; a lock held by a reader (it may
        // open the -shm file) makes a write fail fast and be retried, not wait.
        db_->set_step_budget(0);
        db_->set_busy_timeout(100);
        if (opt_.max_wal > 0) db_->exec("PRAGMA journal_size_limit = " + std::to_string(opt_.max_wal));
        // Keep -wal and -shm after close so that readers without write access to the
        // directory can still open the journal.
        int persist = 1;
        sqlite3_file_control(db_->get(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    } catch (...) {
        db_.reset();
        if (created) ::unlink(path.c_str());
        ::close(lock_fd_);
        ::close(file_fd_);
        throw;
    }

    HostInfo h = current_host();
    Stmt ins = db_->prepare(
        "INSERT OR IGNORE INTO hosts (hostname, machine_id, boot_id, kernel, first_seen) VALUES (?,?,?,?,?)");
    ins.bind(1, h.hostname).bind(2, h.machine_id).bind(3, h.boot_id).bind(4, h.kernel).bind(5, wall_now()).run();
    Stmt sel = db_->prepare("SELECT id FROM hosts WHERE machine_id = ? AND boot_id = ?");
    sel.bind(1, h.machine_id).bind(2, h.boot_id);
    if (!sel.step()) throw JournalError(path + ": cannot register host");
    host_id_ = sel.i64(0);
    sel.reset();

    // The highest seq of a socket row is its last row's or an updated row's (seq is
    // given in row order): no scan of the table, which has no index on seq.
    Stmt ids = db_->prepare(
        "SELECT (SELECT coalesce(max(id), 0) FROM sockets), "
        "max((SELECT coalesce(max(seq), 0) FROM processes), (SELECT coalesce(max(changed), 0) FROM sockets WHERE changed IS NOT NULL), "
        "coalesce((SELECT seq FROM sockets ORDER BY id DESC LIMIT 1), 0))");
    ids.step();
    next_socket_id_ = ids.i64(0) + 1;
    next_seq_ = ids.i64(1) + 1;
    ids.reset();

    close_stale_intervals();

    ins_socket_ = db_->prepare(
        "INSERT INTO sockets (id, host_id, proto, family, local_addr, local_port, remote_addr, remote_port, "
        "netns, cookie, process_id, source, opened, closed, seq, inode) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    close_socket_ = db_->prepare("UPDATE sockets SET closed = ?1, seq = ?2, changed = ?2 WHERE id = ?3 AND closed IS NULL");
    owner_of_ = db_->prepare("SELECT process_id FROM sockets WHERE id = ?");
    set_owner_ = db_->prepare("UPDATE sockets SET process_id = ?1, seq = ?2, changed = ?2 WHERE id = ?3");
    add_refs_ = db_->prepare("UPDATE processes SET socket_refs = socket_refs + ? WHERE id = ?");
    upsert_process_ = db_->prepare(
        "INSERT INTO processes (host_id, pid, start_ticks, start_time, ppid, uid, gid, user, comm, exe, "
        "cmdline, cgroup, container, first_seen, seq, image) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (host_id, pid, start_ticks, image) DO UPDATE SET ppid = excluded.ppid, uid = excluded.uid, "
        "gid = excluded.gid, user = coalesce(excluded.user, user), comm = excluded.comm, "
        "exe = coalesce(excluded.exe, exe), cmdline = coalesce(excluded.cmdline, cmdline), "
        "cgroup = coalesce(excluded.cgroup, cgroup), container = coalesce(excluded.container, container), "
        "seq = excluded.seq RETURNING id");
    exit_process_ = db_->prepare(
        "UPDATE processes SET exit_time = ?, seq = ? WHERE host_id = ? AND pid = ? AND start_ticks = ? "
        "AND exit_time IS NULL");
    set_counter_ = db_->prepare("INSERT OR REPLACE INTO counters (run_id, name, value) VALUES (?,?,?)");
}

JournalWriter::~JournalWriter() {
    try {
        close();
    } catch (...) {
    }
    db_.reset();  // before the lock descriptor: closing it must not drop SQLite's locks early
    if (file_fd_ >= 0) ::close(file_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

void JournalWriter::close_stale_intervals() {
    // Intervals another boot left open ended at the latest when that boot's collector
    // last wrote; the same boot's are offered to the next run for adoption instead.
    Transaction tx(*db_);
    Stmt st = db_->prepare(
        "UPDATE sockets SET seq = ?1, changed = ?1, closed = max(opened, coalesce("
        " (SELECT max(coalesce(r.stopped, r.started)) FROM runs r WHERE r.host_id = sockets.host_id), opened)) "
        "WHERE closed IS NULL AND host_id != ?2");
    st.bind(1, next_seq_++).bind(2, host_id_).run();
    tx.commit();
}

void JournalWriter::begin_run(std::string_view mode, std::string_view reason) { begin_run(mode, reason, wall_now()); }

std::optional<std::int64_t> JournalWriter::last_run_counter(std::string_view name) {
    Stmt st = db_->prepare(
        "SELECT c.value FROM counters c WHERE c.name = ? AND c.run_id = "
        "(SELECT max(id) FROM runs WHERE host_id = ?)");
    st.bind(1, name).bind(2, host_id_);
    std::optional<std::int64_t> v;
    if (st.step()) v = st.i64(0);
    st.reset();
    return v;
}

std::optional<TimeNs> JournalWriter::last_run_stop() {
    Stmt st = db_->prepare("SELECT stopped FROM runs WHERE id = (SELECT max(id) FROM runs WHERE host_id = ?)");
    st.bind(1, host_id_);
    std::optional<TimeNs> v;
    if (st.step() && !st.is_null(0)) v = st.i64(0);
    st.reset();
    return v;
}

void JournalWriter::begin_run(std::string_view mode, std::string_view reason, TimeNs started) {
    // One collector writes a journal at a time (the lock): a run of this host still
    // marked running ended without stopping (kill -9, a crash, a power cut).
    db_->prepare(
           "UPDATE runs SET stopped = ?1, reason = reason || ' (ended without stopping: closed by the next run)' "
           "WHERE host_id = ?2 AND stopped IS NULL")
        .bind(1, started)
        .bind(2, host_id_)
        .run();
    Stmt st = db_->prepare(
        "INSERT INTO runs (host_id, pid, version, mode, reason, started) VALUES (?,?,?,?,?,?) RETURNING id");
    std::string version = SOCKOWNER_VERSION;
    if (!build_note_.empty()) version += " (" + build_note_ + ")";
    st.bind(1, host_id_).bind(2, std::int64_t(getpid())).bind(3, version).bind(4, mode).bind(5, reason);
    st.bind(6, started);
    if (!st.step()) throw JournalError(path() + ": cannot record collector run");
    run_id_ = st.i64(0);
    st.reset();
}

void JournalWriter::end_run(TimeNs stopped) {
    flush();
    if (!run_id_) return;
    db_->prepare("UPDATE runs SET stopped = ? WHERE id = ?").bind(1, stopped).bind(2, run_id_).run();
    run_id_ = 0;
}

std::vector<OpenInterval> JournalWriter::take_open_intervals() {
    std::vector<OpenInterval> out;
    Stmt st = db_->prepare(
        "SELECT s.id, s.proto, s.family, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.netns, "
        "s.cookie, s.source, s.opened, coalesce(s.inode, 0), p.pid, p.start_ticks, p.start_time, coalesce(p.ppid, 0), "
        "coalesce(p.uid, 0), coalesce(p.gid, 0), coalesce(p.user, ''), p.comm, coalesce(p.exe, ''), "
        "coalesce(p.cmdline, ''), coalesce(p.cgroup, ''), coalesce(p.container, ''), p.image "
        "FROM sockets s JOIN processes p ON p.id = s.process_id WHERE s.host_id = ? AND s.closed IS NULL");
    st.bind(1, host_id_);
    while (st.step()) {
        OpenInterval o{st.i64(0), {}, {}};
        auto proto = parse_proto(st.text(1));
        auto la = IpAddr::parse(st.text(3)), ra = IpAddr::parse(st.text(5));
        if (!proto || !la || !ra) continue;
        SocketRecord& s = o.socket;
        s.proto = *proto;
        s.family = int(st.i64(2));
        s.local = {*la, std::uint16_t(st.i64(4))};
        s.remote = {*ra, std::uint16_t(st.i64(6))};
        s.netns = std::uint64_t(st.i64(7));
        s.cookie = std::uint64_t(st.i64(8));
        s.source = st.text(9);
        s.opened = st.i64(10);
        s.inode = std::uint64_t(st.i64(11));
        ProcessInfo& p = o.owner;
        p.pid = std::int32_t(st.i64(12));
        p.start_ticks = std::uint64_t(st.i64(13));
        p.start_time = st.i64(14);
        p.ppid = std::int32_t(st.i64(15));
        p.uid = std::uint32_t(st.i64(16));
        p.gid = std::uint32_t(st.i64(17));
        p.user = st.text(18);
        p.comm = st.text(19);
        p.exe = st.text(20);
        p.cmdline = st.text(21);
        p.cgroup = st.text(22);
        p.container = st.text(23);
        p.image = std::uint32_t(st.i64(24));
        out.push_back(std::move(o));
    }
    st.reset();
    return out;
}

void JournalWriter::remember(const ProcessInfo& p) {
    process_info_[ProcessKey::of(p)] = p;
}

void JournalWriter::enqueue(Op op) {
    if (ops_.empty()) first_pending_ = wall_now();
    ops_.push_back(std::move(op));
    if (ops_.size() >= opt_.max_batch && wall_now() >= retry_at_) {
        try {
            flush();
        } catch (const JournalError&) {
            // Kept for the next attempt; the collector's own flush reports the error.
        }
    }
}

JournalWriter::SocketId JournalWriter::open_socket(const SocketRecord& s, const ProcessInfo& owner) {
    ProcessKey key = ProcessKey::of(owner);
    if (!process_ids_.count(key)) remember(owner);
    SocketId id = next_socket_id_++;
    enqueue(OpOpen{id, s, key});
    return id;
}

void JournalWriter::close_socket(SocketId id, TimeNs when) { enqueue(OpClose{id, when}); }

void JournalWriter::set_owner(SocketId id, const ProcessInfo& owner) {
    ProcessKey key = ProcessKey::of(owner);
    if (!process_ids_.count(key)) remember(owner);
    enqueue(OpOwner{id, key});
}

void JournalWriter::process_exited(const ProcessKey& key, TimeNs when) { enqueue(OpExit{key, when}); }

void JournalWriter::set_counter(std::string_view name, std::int64_t value) {
    auto it = counters_.find(name);
    if (it != counters_.end() && it->second == value) return;
    counters_[std::string(name)] = value;
    counters_dirty_ = true;
}

TimeNs JournalWriter::flush_deadline() const {
    return ops_.empty() ? INT64_MAX
                        : std::max({first_pending_ + opt_.flush_delay, last_commit_ + opt_.commit_gap, retry_at_});
}

std::int64_t JournalWriter::process_row(const ProcessKey& key) {
    if (auto it = process_ids_.find(key); it != process_ids_.end()) return it->second;
    ProcessInfo p;
    if (auto it = process_info_.find(key); it != process_info_.end()) {
        p = it->second;
    } else {
        // Details were dropped after the process exited: reuse its row if it has one.
        Stmt sel = db_->prepare(
            "SELECT id FROM processes WHERE host_id = ? AND pid = ? AND start_ticks = ? AND image = ?");
        sel.bind(1, host_id_).bind(2, key.pid).bind(3, std::int64_t(key.start_ticks)).bind(4, std::int64_t(key.image));
        if (sel.step()) return process_ids_[key] = sel.i64(0);
        p.pid = key.pid;
        p.start_ticks = key.start_ticks;
        p.image = key.image;
    }
    auto& st = upsert_process_;
    st.bind(1, host_id_).bind(2, p.pid).bind(3, std::int64_t(p.start_ticks)).bind(4, p.start_time);
    st.bind(5, p.ppid).bind(6, std::int64_t(p.uid)).bind(7, std::int64_t(p.gid));
    bind_text_or_null(st, 8, p.user);
    st.bind(9, p.comm);
    bind_text_or_null(st, 10, p.exe);
    bind_text_or_null(st, 11, p.cmdline);
    bind_text_or_null(st, 12, p.cgroup);
    bind_text_or_null(st, 13, p.container);
    st.bind(14, wall_now()).bind(15, next_seq_++).bind(16, std::int64_t(p.image));
    if (!st.step()) throw JournalError(path() + ": cannot record process");
    std::int64_t id = st.i64(0);
    st.reset();
    ++rows_written_;
    return process_ids_[key] = id;
}

void JournalWriter::flush() {
    if (ops_.empty() && !counters_dirty_) return;
    std::vector<Op> ops;
    ops.swap(ops_);
    // A socket opened and closed within one batch (most short connections) is written
    // as one closed interval: one insert instead of an insert and an update.
    std::unordered_map<SocketId, OpOpen*> opened_here;
    for (auto& op : ops) {
        if (auto* o = std::get_if<OpOpen>(&op)) {
            opened_here[o->id] = o;
        } else if (auto* c = std::get_if<OpClose>(&op)) {
            if (auto it = opened_here.find(c->id); it != opened_here.end() && !it->second->s.closed) {
                it->second->s.closed = c->when;
                c->id = 0;  // nothing left to do
            }
        }
    }
    // A failed batch (disk full, I/O error) is rolled back and kept for the next
    // attempt, a second later: nothing is lost while memory lasts.
    const std::int64_t seq0 = next_seq_, rows0 = rows_written_;
    const bool counters0 = counters_dirty_;
    std::vector<ProcessKey> exited;
    try {
        write_batch(ops, exited);
    } catch (const JournalError&) {
        next_seq_ = seq0;
        rows_written_ = rows0;
        counters_dirty_ = counters0;
        process_ids_.clear();  // rows this batch inserted are gone; upserts find the others again
        ops.insert(ops.end(), std::make_move_iterator(ops_.begin()), std::make_move_iterator(ops_.end()));
        ops_.swap(ops);
        if (ops_.size() > opt_.max_pending) {  // memory is not endless either: oldest first
            std::size_t drop = ops_.size() - opt_.max_pending;
            ops_.erase(ops_.begin(), ops_.begin() + std::ptrdiff_t(drop));
            dropped_ += std::int64_t(drop);
        }
        ++failed_flushes_;
        retry_at_ = wall_now() + kNsPerSec;
        throw;
    }
    retry_at_ = 0;
    last_commit_ = wall_now();
    if (!exited.empty()) {  // every image of the processes: one pass over each map
        std::unordered_set<ProcessKey, ProcessKeyHash> gone;
        for (const ProcessKey& k : exited) gone.insert({k.pid, k.start_ticks, 0});
        auto is_gone = [&](const auto& e) { return gone.count({e.first.pid, e.first.start_ticks, 0}) != 0; };
        std::erase_if(process_info_, is_gone);
        std::erase_if(process_ids_, is_gone);
    }
}

void JournalWriter::write_batch(std::vector<Op>& ops, std::vector<ProcessKey>& exited) {
    check_wal();
    Transaction tx(*db_);
    std::int64_t inserted = 0;
    RefChanges refs;  // once per process at the end: most batches name few processes often
    for (auto& op : ops) {
        if (auto* o = std::get_if<OpOpen>(&op)) {
            ++inserted;
            const SocketRecord& s = o->s;
            const std::int64_t owner = process_row(o->owner);
            ++refs[owner];
            auto& st = ins_socket_;
            const std::string local = s.local.addr.to_string(), remote = s.remote.addr.to_string();  // until run()
            st.bind(1, o->id).bind(2, host_id_).bind_static(3, proto_name(s.proto)).bind(4, s.family);
            st.bind_static(5, local).bind(6, s.local.port);
            st.bind_static(7, remote).bind(8, s.remote.port);
            st.bind(9, std::int64_t(s.netns)).bind(10, std::int64_t(s.cookie));
            st.bind(11, owner).bind_static(12, s.source).bind(13, s.opened);
            st.bind_opt(14, s.closed).bind(15, next_seq_++);
            if (s.inode) st.bind(16, std::int64_t(s.inode));
            else st.bind_null(16);
            st.run();
        } else if (auto* c = std::get_if<OpClose>(&op)) {
            if (c->id == 0) continue;
            close_socket_.bind(1, c->when).bind(2, next_seq_++).bind(3, c->id).run();
        } else if (auto* w = std::get_if<OpOwner>(&op)) {
            const std::int64_t owner = process_row(w->owner);
            owner_of_.bind(1, w->id);
            if (owner_of_.step()) {  // else the row is gone (retention): nothing to change
                if (!owner_of_.is_null(0)) --refs[owner_of_.i64(0)];
                ++refs[owner];
            }
            owner_of_.reset();
            set_owner_.bind(1, owner).bind(2, next_seq_++).bind(3, w->id).run();
        } else if (auto* e = std::get_if<OpExit>(&op)) {
            exit_process_.bind(1, e->when).bind(2, next_seq_++).bind(3, host_id_).bind(4, e->key.pid);
            exit_process_.bind(5, std::int64_t(e->key.start_ticks)).run();
            exited.push_back(e->key);
        }
        ++rows_written_;
    }
    apply_refs(refs);
    if (counters_dirty_ && run_id_) {
        for (auto& [name, value] : counters_) set_counter_.bind(1, run_id_).bind(2, name).bind(3, value).run();
        counters_dirty_ = false;
    }
    tx.commit();
    if (socket_rows_ >= 0) socket_rows_ += inserted;
}

std::int64_t JournalWriter::wal_size() const {
    struct stat st{};
    return ::stat((path() + "-wal").c_str(), &st) == 0 ? std::int64_t(st.st_size) : 0;
}

std::int64_t JournalWriter::file_size() const {
    Stmt st = db_->prepare("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    std::int64_t size = st.step() ? st.i64(0) : 0;
    st.reset();
    return size + wal_size();
}

bool JournalWriter::checkpoint() {
    Stmt st = db_->prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    bool done = st.step() && st.i64(0) == 0;  // busy = 0: every frame copied, the log reset
    st.reset();
    return done;
}

// A reader that keeps a read transaction open stops checkpoints, and the log would
// grow with every commit: past max_wal, rows wait in memory (the write policy's queue)
// until the reader lets go.
void JournalWriter::check_wal() {
    if (opt_.max_wal <= 0 || wal_size() <= opt_.max_wal) return;
    if (checkpoint() && wal_size() <= opt_.max_wal) return;
    throw JournalError(path() + ": a reader holds the journal's write-ahead log at " +
                       std::to_string(wal_size() >> 20) + " MB: new rows wait until it lets go");
}

std::string JournalWriter::current_path() const {
    char buf[4096];
    ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(file_fd_)).c_str(), buf, sizeof buf - 1);
    if (n <= 0) return path();
    std::string where(buf, std::size_t(n));
    if (where.ends_with(" (deleted)")) return {};
    return where;
}

std::string JournalWriter::follow_rotation() {
    std::string now = current_path();
    if (now.empty() || now == path()) return now;
    // The companions SQLite names after the file: when only the file was moved, they
    // follow it (same directory, so a rename), before another journal opens at the old
    // path and would take them for its own.
    for (const char* suffix : {"-wal", "-shm"}) {
        std::string from = path() + suffix, to = now + suffix;
        struct stat st{};
        if (::lstat(from.c_str(), &st) == 0 && ::lstat(to.c_str(), &st) != 0) ::rename(from.c_str(), to.c_str());
    }
    return now;
}

bool JournalWriter::make_self_contained(const std::string& path) {
    // A connection of its own, under the file's present name: the connection that wrote
    // it knows it by its old name, which the new journal now has, and would delete the
    // new journal's -wal by that name when leaving WAL mode.
    try {
        Db db(path, Db::Mode::read_write_create);
        db.exec("PRAGMA journal_mode = DELETE");  // the log into the file, -wal and -shm gone
        return true;
    } catch (const JournalError&) {
        return false;  // a reader has it open: it stays in WAL mode, whole all the same
    }
}

void JournalWriter::close() {
    if (closed_ || !db_) return;
    flush();
    if (run_id_) db_->prepare("UPDATE runs SET stopped = ? WHERE id = ?").bind(1, wall_now()).bind(2, run_id_).run();
    closed_ = true;
}

}  // namespace sockowner
