#include "reader.hpp"

#include "schema.hpp"
#include "timeutil.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace sockowner {

namespace {

constexpr const char* kSocketCols =
    "s.id, s.seq, s.host_id, s.process_id, s.proto, s.family, s.local_addr, s.local_port, "
    "s.remote_addr, s.remote_port, s.netns, s.cookie, s.source, s.opened, s.closed";
constexpr int kSocketColCount = 15;
// What reads by time take: no seq, family, netns or cookie (each column read costs
// SQLite about a hundred instructions a row, and a window holds many rows).
constexpr const char* kIntervalCols =
    "s.id, s.host_id, s.process_id, s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.source, "
    "s.opened, s.closed";

constexpr const char* kProcessCols =
    "p.id, p.seq, p.host_id, p.pid, p.start_ticks, p.start_time, coalesce(p.ppid, 0), coalesce(p.uid, 0), "
    "coalesce(p.gid, 0), p.user, p.comm, p.exe, p.cmdline, p.cgroup, p.container, p.first_seen, p.exit_time";

// Where a statement has each socket field; -1: not selected (the field stays 0). A NULL
// integer (process_id, netns, cookie) reads as 0.
struct SocketColumns {
    int id, seq, host_id, process_id, proto, family, local_addr, local_port, remote_addr, remote_port, netns, cookie,
        source, opened, closed;
};
constexpr SocketColumns kAllColumns{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
constexpr SocketColumns kIntervalColumns{0, -1, 1, 2, 3, -1, 4, 5, 6, 7, -1, -1, 8, 9, 10};

// Rows of one statement mostly repeat the addresses of the row before (the host's
// own, loopback, a busy server's): each side's last text is parsed once.
struct LastAddress {
    std::string text;
    IpAddr addr;
    std::optional<IpAddr> parse(std::string_view t) {
        if (t == text && !t.empty()) return addr;
        auto a = IpAddr::parse(t);
        if (a) {
            text.assign(t);
            addr = *a;
        }
        return a;
    }
};

// Reads a socket row's columns (where `c` says they are) into `r`, remembering the
// addresses of the row before; false for a row this build cannot interpret.
struct SocketReader {
    SocketColumns c = kAllColumns;
    LastAddress local, remote;
    bool read(const Stmt& st, SocketRow& r);
};

bool SocketReader::read(const Stmt& st, SocketRow& r) {
    auto opt = [&](int col) { return col < 0 ? 0 : st.i64(col); };
    r.id = st.i64(c.id);
    r.seq = opt(c.seq);
    r.host_id = st.i64(c.host_id);
    r.process_id = st.i64(c.process_id);
    auto proto = parse_proto(st.text_view(c.proto));
    auto la = local.parse(st.text_view(c.local_addr));
    auto ra = remote.parse(st.text_view(c.remote_addr));
    if (!proto || !la || !ra) return false;
    r.s.proto = *proto;
    r.s.family = int(opt(c.family));
    r.s.local = {*la, std::uint16_t(st.i64(c.local_port))};
    r.s.remote = {*ra, std::uint16_t(st.i64(c.remote_port))};
    r.s.netns = std::uint64_t(opt(c.netns));
    r.s.cookie = std::uint64_t(opt(c.cookie));
    if (std::string_view source = st.text_view(c.source); source != r.s.source) r.s.source = source;
    r.s.opened = clamp_time(st.i64(c.opened));
    r.s.closed = st.is_null(c.closed) ? std::nullopt : std::optional<TimeNs>(clamp_time(st.i64(c.closed)));
    return true;
}

void read_process(const Stmt& st, int c, ProcessRow& r) {
    r.id = st.i64(c);
    r.seq = st.i64(c + 1);
    r.host_id = st.i64(c + 2);
    r.p.pid = std::int32_t(st.i64(c + 3));
    r.p.start_ticks = std::uint64_t(st.i64(c + 4));
    r.p.start_time = clamp_time(st.i64(c + 5));
    r.p.ppid = std::int32_t(st.i64(c + 6));
    r.p.uid = std::uint32_t(st.i64(c + 7));
    r.p.gid = std::uint32_t(st.i64(c + 8));
    r.p.user = st.text(c + 9);
    r.p.comm = st.text(c + 10);
    r.p.exe = st.text(c + 11);
    r.p.cmdline = st.text(c + 12);
    r.p.cgroup = st.text(c + 13);
    r.p.container = st.text(c + 14);
    r.first_seen = clamp_time(st.i64(c + 15));
    r.exit_time = st.is_null(c + 16) ? std::nullopt : std::optional<TimeNs>(clamp_time(st.i64(c + 16)));
}

}  // namespace

namespace {
// What to do about a journal one may not read: join its group, when it has one.
std::string access_hint(const struct stat& st) {
    if (!(st.st_mode & S_IRGRP)) return " (only its owner may read it)";
    group g{}, *res = nullptr;
    char buf[4096];
    std::string name = getgrgid_r(st.st_gid, &g, buf, sizeof buf, &res) == 0 && res ? res->gr_name
                                                                                   : std::to_string(st.st_gid);
    return " (readable by group " + name + ": join it, e.g. sudo usermod -aG " + name + " $USER, and log in again)";
}
}  // namespace

JournalReader::JournalReader(const std::string& path) {
    // SQLite would report a missing file as "unable to open"; say what is wrong instead.
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw JournalError(path + ": cannot open journal: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw JournalError(path + ": not a regular file");
    if (::access(path.c_str(), R_OK) != 0) {
        std::string why = std::strerror(errno);
        if (errno == EACCES) why += access_hint(st);
        throw JournalError(path + ": cannot read journal: " + why);
    }
    db_ = std::make_unique<Db>(path, Db::Mode::read_only);
    schema::validate(*db_);
    changed_column_ = db_->pragma_int("user_version") >= 4;
}

namespace {
// Resets a kept statement when its use ends, however it ends: no read transaction
// stays open (it would hold the writer's log back), and the next use starts clean.
struct ResetAfter {
    Stmt& st;
    ~ResetAfter() { st.reset(); }
};
}  // namespace

Stmt& JournalReader::kept(Stmt& st, std::string_view sql) {
    if (!st) st = db_->prepare(sql);
    return st;
}

SocketFeed JournalReader::sockets_since(SocketFeed after, const std::function<void(const SocketRow&)>& fn) {
    // A collector may bring an older journal to schema 4 while it is followed: from then
    // on its seq has no index, and the feed goes by `changed` (the same numbering).
    if (!changed_column_ && db_->pragma_int("user_version") >= 4) {
        changed_column_ = true;
        changed_sockets_ = Stmt();
    }
    SocketRow r;
    SocketReader rows;
    // Each statement adds one column after the socket's: its `changed` (seq before schema 4).
    const char* marker = changed_column_ ? ", s.changed" : ", s.seq";
    // `id` and `change` move to the highest seen by the statement that may move them.
    auto each = [&](Stmt& st, std::int64_t* id, std::int64_t* change) {
        while (st.step()) {
            if (id) *id = std::max(*id, st.i64(0));
            if (change) *change = std::max(*change, st.i64(kSocketColCount));
            if (rows.read(st, r)) fn(r);
        }
    };
    if (after == SocketFeed{}) {
        // Everything (the first read): the table in storage (id) order, one snapshot, so
        // every update up to the highest `changed` seen is in it.
        Stmt whole = db_->prepare(std::string("SELECT ") + kSocketCols + marker + " FROM sockets s");
        ResetAfter done{whole};
        each(whole, &after.id, &after.change);
        return after;
    }
    if (!changed_column_) {
        Stmt& st = kept(changed_sockets_,
                        std::string("SELECT ") + kSocketCols + marker + " FROM sockets s WHERE s.seq > ? ORDER BY s.seq");
        ResetAfter done{st};
        st.bind(1, after.change);
        each(st, &after.id, &after.change);  // every row comes by seq: the highest id seen is the last
        return after;
    }
    // New rows, then updated ones. `id` moves only with the first statement and `change`
    // only with the second: either sees everything committed before it of its kind (the
    // writer numbers both in commit order), while a row the second sees may be newer
    // than rows the first did not see.
    {
        Stmt& st = kept(added_sockets_, std::string("SELECT ") + kSocketCols + marker +
                                            " FROM sockets s WHERE s.id > ? ORDER BY s.id");
        ResetAfter done{st};
        st.bind(1, after.id);
        each(st, &after.id, nullptr);
    }
    Stmt& st = kept(changed_sockets_, std::string("SELECT ") + kSocketCols + marker +
                                          " FROM sockets s WHERE s.changed > ? ORDER BY s.changed");
    ResetAfter done{st};
    st.bind(1, after.change);
    each(st, nullptr, &after.change);
    return after;
}

std::int64_t JournalReader::processes_since(std::int64_t after_seq,
                                            const std::function<void(const ProcessRow&)>& fn) {
    Stmt& st = kept(changed_processes_,
                    std::string("SELECT ") + kProcessCols + " FROM processes p WHERE p.seq > ? ORDER BY p.seq");
    ResetAfter done{st};
    st.bind(1, after_seq);
    ProcessRow r;
    while (st.step()) {
        read_process(st, 0, r);
        after_seq = r.seq;
        fn(r);
    }
    return after_seq;
}

bool JournalReader::has_window_indexes() {
    // Only ours: an index of that name made otherwise would leave a window read
    // correct but a full scan each time; the follower then reads the journal once.
    Stmt st = db_->prepare("SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sockets' AND name = ?");
    for (const char* sql : {schema::kOpenedIndexSql, schema::kLongIndexSql}) {
        std::string_view ddl(sql), name = ddl.substr(std::strlen("CREATE INDEX "));
        st.reset();
        st.bind(1, std::string(name.substr(0, name.find(' '))));
        if (!st.step() || st.text_view(0) != ddl) return false;
    }
    return true;
}

namespace {
constexpr const char* kFromSockets = " FROM sockets s WHERE ";
// The partial index's condition, spelt as in kLongIndexSql so that the planner uses it.
constexpr const char* kLong = "(s.closed IS NULL OR s.closed - s.opened > 600000000000)";
// The intervals overlapping a window, with ?1 = its start less kShortInterval, ?2 = its
// start, ?3 = its end (bind_window): short ones by when they opened, at most
// kShortInterval before the start; long and open ones through their own (small) index.
const std::string kShortOverlap = "s.opened BETWEEN ?1 AND ?3 AND (s.closed IS NULL OR s.closed >= ?2)";
const std::string kLongOverlap = std::string(kLong) + " AND s.opened <= ?3 AND (s.closed IS NULL OR s.closed >= ?2)";

void bind_window(Stmt& st, TimeNs from, TimeNs to) {
    st.bind(1, time_add(from, -schema::kShortInterval)).bind(2, from).bind(3, to);
}
}  // namespace

void JournalReader::sockets_overlapping(TimeNs from, TimeNs to, const WantProcess& want, const IntervalFn& fn) {
    const std::string cols = std::string("SELECT ") + kIntervalCols + kFromSockets;
    Stmt st = db_->prepare(cols + kShortOverlap + " UNION ALL " + cols + kLongOverlap);  // long ones twice at most
    bind_window(st, from, to);
    each_wanted(st, want, fn);
}

std::int64_t JournalReader::count_overlapping(TimeNs from, TimeNs to) {
    // The same two parts as sockets_overlapping(), each interval counted once.
    Stmt st = db_->prepare(std::string("SELECT (SELECT count(*)") + kFromSockets + kShortOverlap + " AND NOT " + kLong +
                           ") + (SELECT count(*)" + kFromSockets + kLongOverlap + ")");
    bind_window(st, from, to);
    std::int64_t n = st.step() ? st.i64(0) : 0;
    st.reset();
    return n;
}

std::vector<SocketRow> JournalReader::sockets_on_port(Proto proto, std::uint16_t port, TimeNs from, TimeNs to) {
    const std::string cols = std::string("SELECT ") + kSocketCols + kFromSockets;
    const std::string on_port = "s.proto = ?4 AND s.local_port = ?5";
    const bool by_time = has_window_indexes();
    Stmt st = db_->prepare(by_time ? cols + kShortOverlap + " AND NOT " + kLong + " AND " + on_port + " UNION ALL " +
                                         cols + kLongOverlap + " AND " + on_port
                                   : cols + on_port);
    if (by_time) bind_window(st, from, to);
    st.bind(4, proto_name(proto)).bind(5, port);
    std::vector<SocketRow> out;
    SocketRow r;
    SocketReader rows;
    while (st.step())
        if (rows.read(st, r)) out.push_back(r);
    return out;
}

std::optional<TimeNs> JournalReader::last_opened_on_port(Proto proto, std::uint16_t port, TimeNs from, TimeNs to) {
    Stmt st = db_->prepare("SELECT max(s.opened)" + std::string(kFromSockets) +
                           "s.opened BETWEEN ?1 AND ?2 AND s.proto = ?3 AND s.local_port = ?4");
    st.bind(1, from).bind(2, to).bind(3, proto_name(proto)).bind(4, port);
    std::optional<TimeNs> t;
    if (st.step() && !st.is_null(0)) t = st.i64(0);
    st.reset();
    return t;
}

void JournalReader::sockets_opened(TimeNs after, TimeNs until, const WantProcess& want, const IntervalFn& fn) {
    Stmt st = db_->prepare(std::string("SELECT ") + kIntervalCols + kFromSockets + "s.opened > ?1 AND s.opened <= ?2");
    st.bind(1, after).bind(2, until);
    each_wanted(st, want, fn);
}

SocketFeed JournalReader::last_socket_feed() {
    Stmt st = db_->prepare(changed_column_ ? "SELECT (SELECT coalesce(max(id), 0) FROM sockets), "
                                             "(SELECT coalesce(max(changed), 0) FROM sockets WHERE changed IS NOT NULL)"
                                           : "SELECT (SELECT coalesce(max(id), 0) FROM sockets), (SELECT coalesce(max(seq), 0) FROM sockets)");
    return st.step() ? SocketFeed{st.i64(0), st.i64(1)} : SocketFeed{};
}

std::int64_t JournalReader::last_process_seq() {
    Stmt st = db_->prepare("SELECT coalesce(max(seq), 0) FROM processes");
    return st.step() ? st.i64(0) : 0;
}

void JournalReader::each_wanted(Stmt& st, const WantProcess& want, const IntervalFn& fn) {
    // Processes by id, only those the caller lacks (once each), read for a chunk of rows
    // at a time by one statement: a join would read every socket's process again, and a
    // statement for each process cost more than the process (10 000 instructions).
    constexpr std::size_t kChunk = 512;
    std::vector<SocketRow> rows;
    rows.reserve(kChunk);
    std::string ids;  // a JSON array of the process ids the chunk's rows want
    std::unordered_set<std::int64_t> asked;
    std::unordered_map<std::int64_t, ProcessRow> found;
    auto deliver = [&] {
        found.clear();
        if (!ids.empty()) {
            ids += ']';
            Stmt& q = kept(processes_by_ids_, std::string("SELECT ") + kProcessCols +
                                                  " FROM processes p WHERE p.id IN (SELECT value FROM json_each(?))");
            ResetAfter done{q};
            q.bind(1, ids);
            while (q.step()) read_process(q, 0, found[q.i64(0)]);
        }
        for (const SocketRow& r : rows) {
            auto it = found.find(r.process_id);
            fn(r, it != found.end() ? &it->second : nullptr);
            if (it != found.end()) found.erase(it);  // the process comes with its first interval
        }
        rows.clear();
        ids.clear();
        asked.clear();
    };
    SocketReader reader{kIntervalColumns};
    SocketRow s;
    while (st.step()) {
        if (!reader.read(st, s)) continue;
        rows.push_back(s);
        if (s.process_id != 0 && !asked.count(s.process_id) && want(s.process_id)) {
            asked.insert(s.process_id);
            ids += ids.empty() ? '[' : ',';
            ids += std::to_string(s.process_id);
        }
        if (rows.size() == kChunk) deliver();
    }
    deliver();
}

std::optional<ProcessRow> JournalReader::process(std::int64_t id) {
    Stmt& st = kept(process_by_id_, std::string("SELECT ") + kProcessCols + " FROM processes p WHERE p.id = ?");
    ResetAfter done{st};
    st.bind(1, id);
    std::optional<ProcessRow> r;
    if (st.step()) read_process(st, 0, r.emplace());
    return r;
}

void JournalReader::snapshot(const std::string& out, std::optional<TimeNs> since, std::optional<TimeNs> until) {
    struct stat st{};
    if (::lstat(out.c_str(), &st) == 0) throw JournalError(out + ": exists already (a snapshot never overwrites)");
    db_->set_step_budget(0);  // a big journal copies for as long as it takes
    sqlite3_limit(db_->get(), SQLITE_LIMIT_ATTACHED, 1);  // VACUUM INTO attaches its output
    Stmt copy = db_->prepare("VACUUM INTO ?");
    copy.bind(1, out).run();
    sqlite3_limit(db_->get(), SQLITE_LIMIT_ATTACHED, 0);
    db_->set_step_budget(Db::kStepBudgetMs);
    if (!since && !until) return;
    Db snap(out, Db::Mode::read_write_create);
    snap.set_step_budget(0);
    schema::create_or_validate(snap);  // a copy of an older journal: now of this build's schema
    {
        Transaction tx(snap);
        snap.prepare("DELETE FROM sockets WHERE NOT ((?1 IS NULL OR closed IS NULL OR closed >= ?1) AND "
                     "(?2 IS NULL OR opened <= ?2))")
            .bind_opt(1, since)
            .bind_opt(2, until)
            .run();
        // Each process's rows counted again (one pass), and those left with none go.
        snap.exec(schema::kCountSocketRefsSql);
        snap.exec("DELETE FROM processes WHERE socket_refs = 0");
        tx.commit();
    }
    sqlite3_limit(snap.get(), SQLITE_LIMIT_ATTACHED, 1);  // VACUUM attaches its temporary copy
    snap.exec("VACUUM");
}

void JournalReader::intervals(std::optional<TimeNs> since, std::optional<TimeNs> until,
                              const std::function<void(const SocketRow&, const ProcessRow*)>& fn) {
    Stmt st = db_->prepare(std::string("SELECT ") + kSocketCols + ", " + kProcessCols +
                           " FROM sockets s LEFT JOIN processes p ON p.id = s.process_id"
                           " WHERE (?1 IS NULL OR s.closed IS NULL OR s.closed >= ?1)"
                           " AND (?2 IS NULL OR s.opened <= ?2) ORDER BY s.opened, s.id");
    st.bind_opt(1, since).bind_opt(2, until);
    each_interval(st, fn);
}

void JournalReader::open_intervals(const std::function<void(const SocketRow&, const ProcessRow*)>& fn) {
    Stmt st = db_->prepare(std::string("SELECT ") + kSocketCols + ", " + kProcessCols +
                           " FROM sockets s LEFT JOIN processes p ON p.id = s.process_id"
                           " WHERE s.closed IS NULL ORDER BY s.proto, s.local_port, s.opened");
    each_interval(st, fn);
}

void JournalReader::each_interval(Stmt& st, const std::function<void(const SocketRow&, const ProcessRow*)>& fn) {
    SocketRow s;
    SocketReader rows;
    ProcessRow p;
    while (st.step()) {
        if (!rows.read(st, s)) continue;
        bool has_process = !st.is_null(kSocketColCount);
        if (has_process) read_process(st, kSocketColCount, p);
        fn(s, has_process ? &p : nullptr);
    }
}

std::vector<RunRow> JournalReader::runs() {
    Stmt& st = kept(runs_, "SELECT id, host_id, pid, version, mode, reason, started, stopped FROM runs ORDER BY id");
    ResetAfter done{st};
    std::vector<RunRow> out;
    while (st.step()) {
        RunRow r{st.i64(0), st.i64(1), st.i64(2), st.text(3), st.text(4), st.text(5), clamp_time(st.i64(6)),
                 std::nullopt};
        if (!st.is_null(7)) r.stopped = clamp_time(st.i64(7));
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<std::pair<std::string, std::int64_t>> JournalReader::counters(std::int64_t run_id) {
    Stmt st = db_->prepare("SELECT name, value FROM counters WHERE run_id = ? ORDER BY name");
    st.bind(1, run_id);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (st.step()) out.emplace_back(st.text(0), st.i64(1));
    return out;
}

std::vector<SocketCount> JournalReader::socket_counts() {
    // Summed here rather than by GROUP BY, which sorts every row before its first
    // result (5M intervals: 4.9 s of 9.0; a month's journal: longer than one step may
    // take) where the groups are a handful; consecutive rows mostly share one.
    Stmt st = db_->prepare("SELECT proto, family, source, closed IS NULL FROM sockets");
    std::map<std::tuple<std::string, int, std::string>, SocketCount> groups;  // in ORDER BY's order
    SocketCount* last = nullptr;
    while (st.step()) {
        std::string_view proto = st.text_view(0), source = st.text_view(2);
        const int family = int(st.i64(1));
        if (!last || last->proto != proto || last->family != family || last->source != source) {
            auto [it, added] = groups.try_emplace({std::string(proto), family, std::string(source)});
            last = &it->second;
            if (added) *last = SocketCount{std::string(proto), std::string(source), family, 0, 0};
        }
        ++last->total;
        last->open += st.i64(3);
    }
    std::vector<SocketCount> out;
    for (auto& [key, count] : groups) out.push_back(std::move(count));
    return out;
}

std::int64_t JournalReader::process_count() {
    Stmt st = db_->prepare("SELECT count(*) FROM processes");
    return st.step() ? st.i64(0) : 0;
}

std::int64_t JournalReader::file_size() { return db_->pragma_int("page_count") * db_->pragma_int("page_size"); }

}  // namespace sockowner
