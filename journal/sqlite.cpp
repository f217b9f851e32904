#include "sqlite.hpp"

#include <ctime>

namespace sockowner {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw JournalError(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}
}  // namespace

Stmt::Stmt(sqlite3* db, std::string_view sql, Db* owner) : owner_(owner) {
    if (sqlite3_prepare_v3(db, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &st_, nullptr) != SQLITE_OK)
        fail(db, "cannot prepare statement");
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(st_);
        st_ = o.st_;
        owner_ = o.owner_;
        o.st_ = nullptr;
    }
    return *this;
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::bind(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bind_static(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), int(v.size()), SQLITE_STATIC);
    return *this;
}

Stmt& Stmt::bind_null(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
}

bool Stmt::step() {
    if (owner_) owner_->start_step();
    int rc = sqlite3_step(st_);
    if (owner_) owner_->end_step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3* db = sqlite3_db_handle(st_);
    sqlite3_reset(st_);
    if ((rc & 0xff) == SQLITE_INTERRUPT)
        throw JournalError("a journal query ran longer than " + std::to_string(Db::kStepBudgetMs / 1000) +
                           " s and was stopped (a damaged or hostile file?)");
    fail(db, "journal query failed");
}

void Stmt::run() {
    while (step()) {
    }
    reset();
}

void Stmt::reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
}

std::string Stmt::text(int col) const { return std::string(text_view(col)); }

std::string_view Stmt::text_view(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string_view(p, std::size_t(sqlite3_column_bytes(st_, col))) : std::string_view();
}

namespace {
// SQLite's memory statistics (on by default) take a global mutex around every
// allocation: a tenth of a socket insert's instructions. Nothing here reads them. Only
// possible before SQLite starts in this process; where something else started it
// first (a host program), the call is refused and nothing changes.
void configure_sqlite_once() {
    static const bool done = (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0), true);
    (void)done;
}
}  // namespace

Db::Db(const std::string& path, Mode mode) : path_(path) {
    configure_sqlite_once();
    int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                        : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW);
    if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close_v2(db_);
        throw JournalError(path + ": cannot open journal: " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
    sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, 100000);
    sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_progress_handler(db_, 10000, &Db::on_progress, this);
    set_busy_timeout(2000);
    try {
        exec("PRAGMA cell_size_check = ON");
    } catch (...) {
        sqlite3_close_v2(db_);
        throw;
    }
}

void Db::set_busy_timeout(int ms) { sqlite3_busy_timeout(db_, ms); }

namespace {
// Read before every step and in the progress handler: the coarse clock (a tick's
// resolution, plenty for a budget of seconds) costs a few nanoseconds, not tens.
std::int64_t steady_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}
}  // namespace

void Db::start_step() { deadline_ms_ = budget_ms_ > 0 ? steady_ms() + budget_ms_ : 0; }

int Db::on_progress(void* self) {
    auto* db = static_cast<Db*>(self);
    return db->deadline_ms_ && steady_ms() > db->deadline_ms_ ? 1 : 0;  // non-zero: interrupt
}

Db::~Db() { sqlite3_close_v2(db_); }

void Db::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw JournalError(path_ + ": " + msg);
    }
}

std::int64_t Db::pragma_int(std::string_view name) {
    Stmt st = prepare("PRAGMA " + std::string(name));
    std::int64_t v = st.step() ? st.i64(0) : 0;
    st.reset();
    return v;
}

Transaction::Transaction(Db& db, bool immediate) : db_(db) {
    db_.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace sockowner
