// The journal's versions: older journals read as they are, brought to the current
// schema by the next writer (and by a snapshot), followed across that upgrade.
#include "reader.hpp"
#include "schema.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

// A journal of schema 1 (sockowner 0.1: no sockets.inode, processes unique by pid and
// start only) is brought to the current schema by the next writer; readers read it
// as it is.
constexpr const char* kSchema1 = R"sql(
CREATE TABLE hosts (id INTEGER PRIMARY KEY, hostname TEXT NOT NULL, machine_id TEXT NOT NULL,
  boot_id TEXT NOT NULL, kernel TEXT NOT NULL, first_seen INTEGER NOT NULL, UNIQUE (machine_id, boot_id));
CREATE TABLE processes (id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES hosts(id),
  pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, start_time INTEGER NOT NULL, ppid INTEGER, uid INTEGER,
  gid INTEGER, user TEXT, comm TEXT NOT NULL, exe TEXT, cmdline TEXT, cgroup TEXT, container TEXT,
  first_seen INTEGER NOT NULL, exit_time INTEGER, seq INTEGER NOT NULL, UNIQUE (host_id, pid, start_ticks));
CREATE TABLE sockets (id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES hosts(id),
  proto TEXT NOT NULL, family INTEGER NOT NULL, local_addr TEXT NOT NULL, local_port INTEGER NOT NULL,
  remote_addr TEXT NOT NULL, remote_port INTEGER NOT NULL, netns INTEGER, cookie INTEGER,
  process_id INTEGER REFERENCES processes(id), source TEXT NOT NULL, opened INTEGER NOT NULL, closed INTEGER,
  seq INTEGER NOT NULL);
CREATE INDEX sockets_by_port ON sockets (proto, local_port, opened);
CREATE INDEX sockets_by_seq ON sockets (seq);
CREATE INDEX sockets_by_process ON sockets (process_id);
CREATE INDEX processes_by_seq ON processes (seq);
CREATE TABLE runs (id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES hosts(id), pid INTEGER NOT NULL,
  version TEXT NOT NULL, mode TEXT NOT NULL, reason TEXT NOT NULL, started INTEGER NOT NULL, stopped INTEGER);
CREATE TABLE counters (run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, value INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)) WITHOUT ROWID;
INSERT INTO hosts VALUES (1, 'h', 'm', 'b', 'k', 0);
INSERT INTO processes VALUES (7, 1, 5, 7, 0, 1, 0, 0, 'root', 'srv', NULL, NULL, NULL, NULL, 0, NULL, 1);
INSERT INTO sockets VALUES (3, 1, 'tcp', 4, '10.0.0.1', 1, '10.0.0.2', 2, 0, 0, 7, 'procfs', 0, 10, 2);
INSERT INTO sockets VALUES (4, 1, 'tcp', 4, '10.0.0.1', 5, '10.0.0.2', 2, 0, 0, 7, 'procfs', 20, 30, 3);
PRAGMA application_id = 1397705559;
PRAGMA user_version = 1;
)sql";

// What version 4 added, taken away again: a journal as version 3 wrote it, short of its
// user_version (an older one, from there, short of what that version added too).
constexpr const char* kBackTo3 =
    "DROP INDEX sockets_changed; ALTER TABLE sockets DROP COLUMN changed; CREATE INDEX sockets_by_seq ON sockets (seq);";

// A journal of schema 2 (the one before: indexes by port and by process, no
// socket_refs) gets each process's count of intervals and loses the two indexes when
// a writer opens it; retention then keeps exactly the processes intervals still name.
void upgrades_schema_2(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    auto a = process(401, 1, "a"), b = process(402, 2, "b");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), a), kT0 + kSec);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0), b);
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:4", "10.0.0.2:2", kT0 + 10 * kSec), b),
                       kT0 + 11 * kSec);
        w.process_exited(ProcessKey::of(a), kT0 + 2 * kSec);
    }
    {  // back to what version 2 wrote
        Db db(path, Db::Mode::read_write_create);
        db.exec(std::string(kBackTo3) + "ALTER TABLE processes DROP COLUMN socket_refs;"
                "CREATE INDEX sockets_by_port ON sockets (proto, local_port, opened);"
                "CREATE INDEX sockets_by_process ON sockets (process_id); PRAGMA user_version = 2");
    }
    {
        JournalReader r(path);  // read as it is
        assert_int_equal(all_sockets(r).size(), 3);
    }
    WriterOptions opt;
    opt.retain = 3600 * kSec;
    JournalWriter w(path, opt);
    Db db(path, Db::Mode::read_only);
    assert_int_equal(db.pragma_int("user_version"), schema::kVersion);
    Stmt refs(db.get(), "SELECT group_concat(comm || ':' || socket_refs, ' ') FROM (SELECT * FROM processes ORDER BY id)");
    assert_true(refs.step());
    assert_str_eq(refs.text(0), "a:1 b:2");
    refs.reset();
    Stmt idx(db.get(), "SELECT count(*) FROM sqlite_schema WHERE name IN ('sockets_by_port', 'sockets_by_process')");
    assert_true(idx.step());
    assert_int_equal(idx.i64(0), 0);
    idx.reset();
    // Two hours on: a's one interval goes, then a; b keeps its open one.
    assert_int_equal(w.apply_retention(kT0 + 7200 * kSec), 3);
    assert_true(refs.step());
    assert_str_eq(refs.text(0), "b:1");
}

// Schema 3 kept an index on every socket row's seq; schema 4 marks updated rows
// (`changed`) instead. A writer opening a journal of schema 3 marks the rows updated
// after its last insert, so that its next seq is still above every row's.
std::int64_t value(Db& db, const std::string& sql) {
    Stmt st = db.prepare(sql);
    std::int64_t v = st.step() && !st.is_null(0) ? st.i64(0) : -1;
    st.reset();
    return v;
}

void upgrades_schema_3(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    auto a = process(501, 1, "a");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        auto first = w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), a);
        w.flush();
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0), a), kT0 + kSec);
        w.flush();
        w.close_socket(first, kT0 + 2 * kSec);  // an update after the last insert
    }
    std::int64_t first_seq;
    {  // back to what version 3 wrote
        Db db(path, Db::Mode::read_write_create);
        first_seq = value(db, "SELECT seq FROM sockets WHERE id = 1");
        assert_true(first_seq > value(db, "SELECT seq FROM sockets WHERE id = 2"));
        db.exec(std::string(kBackTo3) + "PRAGMA user_version = 3");
    }
    {  // read as it is: its feed goes by seq
        JournalReader r(path);
        SocketFeed feed = r.sockets_since({}, [](const SocketRow&) {});
        assert_int_equal(feed.change, first_seq);
        assert_true(r.last_socket_feed() == feed);
        Db db(path, Db::Mode::read_write_create);
        const std::int64_t moved = value(db, "SELECT seq FROM sockets WHERE id = 2") + 100;
        db.exec("UPDATE sockets SET process_id = NULL, seq = seq + 100 WHERE id = 2");
        std::vector<std::int64_t> ids;
        feed = r.sockets_since(feed, [&](const SocketRow& row) { ids.push_back(row.id); });
        assert_int_equal(ids.size(), 1);
        assert_int_equal(ids[0], 2);
        assert_int_equal(feed.change, moved);
        db.exec("UPDATE sockets SET process_id = 1, seq = seq - 100 WHERE id = 2");
    }
    // A follower of the schema-3 journal while a writer brings it to schema 4.
    JournalReader follower(path);
    SocketFeed feed = follower.sockets_since({}, [](const SocketRow&) {});
    JournalWriter w(path);
    Db db(path, Db::Mode::read_only);
    assert_int_equal(db.pragma_int("user_version"), schema::kVersion);
    assert_int_equal(value(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sockets_by_seq'"), 0);
    assert_int_equal(value(db, "SELECT changed FROM sockets WHERE id = 1"), first_seq);
    assert_int_equal(value(db, "SELECT changed FROM sockets WHERE id = 2"), -1);  // NULL: never updated
    w.begin_run("procfs", "");
    w.open_socket(sock(Proto::tcp, "10.0.0.1:5", "10.0.0.2:2", kT0 + 3 * kSec), a);
    w.flush();
    assert_true(value(db, "SELECT seq FROM sockets WHERE id = 3") > first_seq);
    // The follower now goes by id and `changed` (by seq, without its index, each read
    // would scan the table): a new row moves the feed's id, not its change number.
    std::vector<std::int64_t> ids;
    feed = follower.sockets_since(feed, [&](const SocketRow& row) { ids.push_back(row.id); });
    assert_int_equal(ids.size(), 1);
    assert_int_equal(ids[0], 3);
    assert_int_equal(feed.id, 3);
    assert_int_equal(feed.change, first_seq);
    w.set_owner(2, process(502, 2, "b"));
    w.flush();
    ids.clear();
    feed = follower.sockets_since(feed, [&](const SocketRow& row) { ids.push_back(row.id); });
    assert_int_equal(ids.size(), 1);
    assert_int_equal(ids[0], 2);
    assert_int_equal(feed.change, value(db, "SELECT changed FROM sockets WHERE id = 2"));
    assert_true(follower.sockets_since(feed, [](const SocketRow&) { fail(); }) == feed);
}

// A snapshot of a time range keeps the processes its intervals name, each with its
// count of them; a snapshot of an older journal is of the current schema.
void snapshot_of_a_range_counts_processes(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "");
        auto old = process(201, 1, "old"), both = process(202, 2, "both");
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:2", kT0), old), kT0 + kSec);
        w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:3", "10.0.0.2:2", kT0), both), kT0 + kSec);
        for (int i = 0; i < 2; ++i)
            w.close_socket(w.open_socket(sock(Proto::tcp, "10.0.0.1:5", "10.0.0.2:2", kT0 + 100 * kSec), both),
                           kT0 + 101 * kSec);
    }
    JournalReader(path).snapshot(dir.file("s.db"), kT0 + 50 * kSec, std::nullopt);
    Db db(dir.file("s.db"), Db::Mode::read_only);
    Stmt left(db.get(), "SELECT group_concat(comm || ':' || socket_refs, ' ') FROM processes");
    assert_true(left.step());
    assert_str_eq(left.text(0), "both:2");

    auto v1 = dir.file("v1.db");
    { Db(v1, Db::Mode::read_write_create).exec(kSchema1); }
    JournalReader(v1).snapshot(dir.file("s1.db"), 15, std::nullopt);  // the fixture's second socket
    Db db1(dir.file("s1.db"), Db::Mode::read_only);
    assert_int_equal(db1.pragma_int("user_version"), schema::kVersion);
    Stmt refs(db1.get(), "SELECT group_concat(id || ':' || socket_refs, ' ') FROM processes");
    assert_true(refs.step());
    assert_str_eq(refs.text(0), "7:1");
}


void upgrades_schema_1(void**) {
    ScratchDir dir;
    auto path = dir.file("j.db");
    { Db(path, Db::Mode::read_write_create).exec(kSchema1); }
    {
        JournalReader r(path);  // as it is
        int n = 0;
        r.sockets_since({}, [&](const SocketRow& row) { n += row.process_id == 7; });
        assert_int_equal(n, 2);
        // No time indexes yet: a lookup's candidates come through the index by port.
        assert_false(r.has_window_indexes());
        auto on_port = r.sockets_on_port(Proto::tcp, 5, 0, 1);
        assert_int_equal(on_port.size(), 1);
        assert_int_equal(on_port[0].id, 4);
    }
    JournalWriter w(path);
    auto s = sock(Proto::udp, "0.0.0.0:53", "0.0.0.0:0", kT0);
    s.inode = 4242;
    auto p = process(5, 7, "srv");
    w.open_socket(s, p);
    p.image = 3;  // the same process after an exec: another row
    p.comm = "other";
    w.open_socket(s, p);
    w.flush();
    Db db(path, Db::Mode::read_only);
    assert_int_equal(db.pragma_int("user_version"), schema::kVersion);
    Stmt st(db.get(), "SELECT count(*), max(inode) FROM sockets");
    assert_true(st.step());
    assert_int_equal(st.i64(0), 4);
    assert_int_equal(st.i64(1), 4242);
    Stmt pr(db.get(), "SELECT group_concat(id || ':' || image || ':' || comm || ':' || socket_refs, ' ') FROM "
                      "(SELECT * FROM processes ORDER BY id)");
    assert_true(pr.step());
    // The old row kept its id (and its two sockets were counted); this host (not the
    // fixture's) has one row per image.
    assert_str_eq(pr.text(0), "7:0:srv:2 8:0:srv:1 9:3:other:1");
    {  // now by time: only the intervals around it
        JournalReader r(path);
        assert_true(r.has_window_indexes());
        assert_int_equal(r.sockets_on_port(Proto::tcp, 5, 15, 25).size(), 1);
        assert_int_equal(r.sockets_on_port(Proto::tcp, 5, 0, 10).size(), 0);
        assert_int_equal(r.sockets_on_port(Proto::tcp, 1, 0, 10).size(), 1);
        assert_int_equal(*r.last_opened_on_port(Proto::tcp, 5, 0, 100), 20);
        assert_false(r.last_opened_on_port(Proto::tcp, 5, 0, 19).has_value());
    }
    // Version 3 keeps no index by port or by process (socket_refs replaces the latter).
    Stmt idx(db.get(), "SELECT count(*) FROM sqlite_schema WHERE name IN ('sockets_by_port', 'sockets_by_process')");
    assert_true(idx.step());
    assert_int_equal(idx.i64(0), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(upgrades_schema_1),
        cmocka_unit_test(upgrades_schema_2),
        cmocka_unit_test(upgrades_schema_3),
        cmocka_unit_test(snapshot_of_a_range_counts_processes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
