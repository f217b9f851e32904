#include "schema.hpp"

#include "text_escape.hpp"

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace sockowner::schema {

// Not in kDdl: created, when missing, in journals of any version a writer opens.
const char* const kOpenedIndexSql = "CREATE INDEX sockets_by_opened ON sockets (opened)";
// (opened, closed): which long intervals overlap a window is decided in the index,
// without a table read for each of the (many, in a month's journal) that do not.
const char* const kLongIndexSql =
    "CREATE INDEX sockets_long_spans ON sockets (opened, closed) WHERE closed IS NULL OR closed - opened > 600000000000";
static_assert(kShortInterval == 600'000'000'000, "kLongIndexSql spells kShortInterval out");

const char* const kCountSocketRefsSql =
    "UPDATE processes SET socket_refs = 0;"
    "UPDATE processes SET socket_refs = c.n FROM (SELECT process_id, count(*) AS n FROM sockets "
    "WHERE process_id IS NOT NULL GROUP BY process_id) AS c WHERE c.process_id = processes.id";

namespace {

// Adds the time-window indexes to a journal that lacks them (one made before they
// existed): a few seconds for millions of rows, once.
void add_window_indexes(Db& db) {
    db.exec("DROP INDEX IF EXISTS sockets_long");  // the first form, on (opened) alone: a table read per long interval
    for (const char* sql : {kOpenedIndexSql, kLongIndexSql}) {
        std::string ddl(sql);
        db.exec(ddl.replace(0, std::strlen("CREATE INDEX"), "CREATE INDEX IF NOT EXISTS"));
    }
}

// Times are wall-clock nanoseconds since the epoch. `seq` grows with every insert
// and update; a socket row's `changed` is the seq of its last update. A reader
// following a live journal fetches only what changed: new rows by id, updated ones by
// `changed`.
constexpr const char* kDdl = R"sql(
CREATE TABLE hosts (
  id          INTEGER PRIMARY KEY,
  hostname    TEXT NOT NULL,
  machine_id  TEXT NOT NULL,
  boot_id     TEXT NOT NULL,
  kernel      TEXT NOT NULL,
  first_seen  INTEGER NOT NULL,
  UNIQUE (machine_id, boot_id)
);
CREATE TABLE processes (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts(id),
  pid         INTEGER NOT NULL,
  start_ticks INTEGER NOT NULL,
  image       INTEGER NOT NULL DEFAULT 0,
  start_time  INTEGER NOT NULL,
  ppid        INTEGER,
  uid         INTEGER,
  gid         INTEGER,
  user        TEXT,
  comm        TEXT NOT NULL,
  exe         TEXT,
  cmdline     TEXT,
  cgroup      TEXT,
  container   TEXT,
  first_seen  INTEGER NOT NULL,
  exit_time   INTEGER,
  seq         INTEGER NOT NULL,
  socket_refs INTEGER NOT NULL DEFAULT 0,
  UNIQUE (host_id, pid, start_ticks, image)
);
CREATE TABLE sockets (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts(id),
  proto       TEXT NOT NULL,
  family      INTEGER NOT NULL,
  local_addr  TEXT NOT NULL,
  local_port  INTEGER NOT NULL,
  remote_addr TEXT NOT NULL,
  remote_port INTEGER NOT NULL,
  netns       INTEGER,
  cookie      INTEGER,
  process_id  INTEGER REFERENCES processes(id),
  source      TEXT NOT NULL,
  opened      INTEGER NOT NULL,
  closed      INTEGER,
  seq         INTEGER NOT NULL,
  inode       INTEGER,
  changed     INTEGER
);
CREATE INDEX sockets_changed   ON sockets (changed) WHERE changed IS NOT NULL;
CREATE INDEX processes_by_seq  ON processes (seq);
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts(id),
  pid         INTEGER NOT NULL,
  version     TEXT NOT NULL,
  mode        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  started     INTEGER NOT NULL,
  stopped     INTEGER
);
CREATE TABLE counters (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  name        TEXT NOT NULL,
  value       INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
)sql";

// Says why SQLite could not read the file: damaged, not SQLite, or not readable here.
std::int64_t read_pragma(Db& db, const char* name) {
    try {
        return db.pragma_int(name);
    } catch (const JournalError&) {
        std::string why = sqlite3_errmsg(db.get());
        switch (sqlite3_errcode(db.get()) & 0xff) {
            case SQLITE_NOTADB: throw JournalError(db.path() + ": not a sockowner journal (not an SQLite database)");
            case SQLITE_CORRUPT: throw JournalError(db.path() + ": damaged sockowner journal (" + why + ")");
            case SQLITE_READONLY:
                // A reader of a WAL database needs its -shm file, or a directory it may create it in.
                throw JournalError(db.path() + ": cannot read journal: its -shm file is missing and cannot be created (" +
                                   why + ")");
            default: throw JournalError(db.path() + ": cannot read journal (" + why + ")");
        }
    }
}

void check_identity(Db& db, std::int64_t app_id, std::int64_t version) {
    if (app_id != kApplicationId)
        throw JournalError(db.path() + ": not a sockowner journal (SQLite application_id " +
                           std::to_string(app_id) + ")");
    if (version > kVersion)
        throw JournalError(db.path() + ": journal schema version " + std::to_string(version) +
                           " is newer than this sockowner supports (" + std::to_string(kVersion) +
                           "); upgrade sockowner");
    if (version < 1) throw JournalError(db.path() + ": journal has no schema version");
}

}  // namespace

namespace {

// The tables a journal of `version` has, each with its columns in order: those of
// this build's schema (made in memory), less what later versions added.
std::map<std::string, std::vector<std::string>> expected_tables(std::int64_t version) {
    Db mem(":memory:", Db::Mode::read_write_create);
    mem.exec(kDdl);
    std::map<std::string, std::vector<std::string>> out;
    for (const char* table : {"hosts", "processes", "sockets", "runs", "counters"}) {
        Stmt st = mem.prepare(std::string("SELECT name FROM pragma_table_info('") + table + "')");
        while (st.step()) out[table].push_back(st.text(0));
    }
    if (version < 2) {
        std::erase(out["sockets"], "inode");
        std::erase(out["processes"], "image");
    }
    if (version < 3) std::erase(out["processes"], "socket_refs");
    if (version < 4) std::erase(out["sockets"], "changed");
    return out;
}

// Only our tables with exactly their columns, and indexes on them: no view, trigger or
// other table, which a reader's query could run into.
void check_tables(Db& db, std::int64_t version) {
    auto expected = expected_tables(version);
    std::size_t tables = 0;
    Stmt st = db.prepare("SELECT type, name, tbl_name FROM sqlite_schema");
    while (st.step()) {
        std::string type = st.text(0), name = st.text(1), table = st.text(2);
        if (type == "index" && expected.count(table)) continue;
        if (type != "table" || !expected.count(name))
            throw JournalError("unexpected " + escape_text(type) + " '" + escape_text(name) + "'");
        ++tables;
    }
    if (tables != expected.size()) throw JournalError("tables missing");
    for (const auto& [table, columns] : expected) {
        std::vector<std::string> found;
        Stmt info = db.prepare("SELECT name FROM pragma_table_info(?)");
        info.bind(1, table);
        while (info.step()) found.push_back(info.text(0));
        if (found != columns) throw JournalError("table '" + table + "' has other columns");
    }
}

}  // namespace

void validate(Db& db) {
    auto app_id = read_pragma(db, "application_id");
    auto version = read_pragma(db, "user_version");
    check_identity(db, app_id, version);
    // A truncated or damaged file can still carry valid header pragmas.
    try {
        db.pragma_int("schema_version");
        check_tables(db, version);
    } catch (const JournalError& e) {
        throw JournalError(db.path() + ": damaged sockowner journal (" + e.what() + ")");
    }
}

// Version 1 → 2: sockets.inode (NULL for the rows before it); processes.image in the
// processes' identity (0, unknown, for the rows before it): the table is rebuilt, as
// SQLite cannot change a UNIQUE constraint in place.
constexpr const char* kUpgrade1To2 = R"sql(
ALTER TABLE sockets ADD COLUMN inode INTEGER;
CREATE TABLE processes_v2 (
  id          INTEGER PRIMARY KEY,
  host_id     INTEGER NOT NULL REFERENCES hosts(id),
  pid         INTEGER NOT NULL,
  start_ticks INTEGER NOT NULL,
  image       INTEGER NOT NULL DEFAULT 0,
  start_time  INTEGER NOT NULL,
  ppid        INTEGER,
  uid         INTEGER,
  gid         INTEGER,
  user        TEXT,
  comm        TEXT NOT NULL,
  exe         TEXT,
  cmdline     TEXT,
  cgroup      TEXT,
  container   TEXT,
  first_seen  INTEGER NOT NULL,
  exit_time   INTEGER,
  seq         INTEGER NOT NULL,
  UNIQUE (host_id, pid, start_ticks, image)
);
INSERT INTO processes_v2 (id, host_id, pid, start_ticks, start_time, ppid, uid, gid, user, comm, exe, cmdline,
                          cgroup, container, first_seen, exit_time, seq)
  SELECT id, host_id, pid, start_ticks, start_time, ppid, uid, gid, user, comm, exe, cmdline,
         cgroup, container, first_seen, exit_time, seq FROM processes;
DROP TABLE processes;
ALTER TABLE processes_v2 RENAME TO processes;
CREATE INDEX processes_by_seq ON processes (seq);
)sql";

// Version 2 → 3: processes.socket_refs counted once (one pass over the sockets, in the
// order of the index on process ids, which it replaces); the index by port goes too
// (lookups read by time).
constexpr const char* kUpgrade2To3Column = "ALTER TABLE processes ADD COLUMN socket_refs INTEGER NOT NULL DEFAULT 0";
constexpr const char* kUpgrade2To3Indexes = "DROP INDEX IF EXISTS sockets_by_process; DROP INDEX IF EXISTS sockets_by_port";

// Version 3 → 4: sockets.changed, indexed where set, replaces the index on every row's
// seq. Rows updated after the last insert are marked (through the old index, before
// it goes), so that the highest seq stays that of the last row or of a marked one.
constexpr const char* kUpgrade3To4 = R"sql(
ALTER TABLE sockets ADD COLUMN changed INTEGER;
UPDATE sockets SET changed = seq WHERE seq > coalesce((SELECT seq FROM sockets ORDER BY id DESC LIMIT 1), 0);
CREATE INDEX sockets_changed ON sockets (changed) WHERE changed IS NOT NULL;
DROP INDEX IF EXISTS sockets_by_seq;
)sql";

void upgrade(Db& db, std::int64_t version) {
    if (version >= kVersion) return;
    Transaction tx(db);
    if (version < 2) db.exec(kUpgrade1To2);
    if (version < 3) {
        db.exec(kUpgrade2To3Column);
        db.exec(kCountSocketRefsSql);
        db.exec(kUpgrade2To3Indexes);
    }
    if (version < 4) db.exec(kUpgrade3To4);
    db.exec("PRAGMA user_version = " + std::to_string(kVersion));
    tx.commit();
}

void create_or_validate(Db& db) {
    auto app_id = read_pragma(db, "application_id");
    auto version = read_pragma(db, "user_version");
    if (app_id == 0 && version == 0) {
        Stmt st = db.prepare("SELECT count(*) FROM sqlite_schema");
        if (st.step() && st.i64(0) != 0)
            throw JournalError(db.path() + ": not a sockowner journal (an SQLite database with other tables)");
    } else {
        validate(db);
        upgrade(db, version);
        add_window_indexes(db);
        return;
    }
    // auto_vacuum must be chosen before the first table exists: size-based retention
    // gives space back with incremental_vacuum.
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("PRAGMA journal_mode = WAL");
    Transaction tx(db);
    db.exec(kDdl);
    add_window_indexes(db);
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(kVersion));
    tx.commit();
}

}  // namespace sockowner::schema
