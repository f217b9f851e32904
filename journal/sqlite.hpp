// Thin RAII wrappers over the SQLite C API: a connection and a prepared statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sockowner {

// Every journal failure carries one line that names the problem and the file.
class JournalError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Stmt {
public:
    Stmt() = default;
    // `owner`, when given, bounds each step by its step budget.
    Stmt(sqlite3* db, std::string_view sql, class Db* owner = nullptr);
    Stmt(Stmt&& o) noexcept : st_(o.st_), owner_(o.owner_) { o.st_ = nullptr; }
    Stmt& operator=(Stmt&& o) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, std::string_view v);
    // Without SQLite's copy: `v` must stay valid until the statement is reset.
    Stmt& bind_static(int i, std::string_view v);
    Stmt& bind_null(int i);
    template <typename T>
    Stmt& bind_opt(int i, const T& opt) {
        return opt ? bind(i, *opt) : bind_null(i);
    }

    explicit operator bool() const { return st_ != nullptr; }  // prepared
    bool step();  // true while a row is available
    void run();   // step to completion, then reset
    void reset();

    std::int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
    bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
    std::string text(int col) const;
    // The same without a copy: valid until the next step or reset.
    std::string_view text_view(int col) const;

private:
    sqlite3_stmt* st_ = nullptr;
    class Db* owner_ = nullptr;
};

// A connection with SQLite's defences on, since a journal may come from anyone:
// defensive mode (no writes to the schema or shadow tables through SQL), untrusted
// schema (no functions or virtual tables run from it), cell checks, bounded values and
// statement sizes, and a deadline on every step (`step_budget`), so that no file can
// make a query run forever. The writer opens without following symbolic links.
class Db {
public:
    enum class Mode { read_only, read_write_create };
    static constexpr int kMaxValueBytes = 1 << 20;        // a row's text or blob
    static constexpr std::int64_t kStepBudgetMs = 30000;  // one sqlite3_step
    Db(const std::string& path, Mode mode);
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    sqlite3* get() const { return db_; }
    const std::string& path() const { return path_; }
    void exec(std::string_view sql);
    std::int64_t pragma_int(std::string_view name);
    Stmt prepare(std::string_view sql) { return Stmt(db_, sql, this); }

    // Limits each step to `ms` (kStepBudgetMs by default): a longer one fails with
    // "query interrupted". Busy waits for another connection's lock: `busy_ms`.
    void set_step_budget(std::int64_t ms) { budget_ms_ = ms; }
    void set_busy_timeout(int ms);

private:
    static int on_progress(void* self);
    friend class Stmt;
    void start_step();
    void end_step() { deadline_ms_ = 0; }

    sqlite3* db_ = nullptr;
    std::string path_;
    std::int64_t budget_ms_ = kStepBudgetMs;
    std::int64_t deadline_ms_ = 0;  // steady clock, ms
};

// RAII transaction: commits in commit(), rolls back if destroyed before that.
class Transaction {
public:
    explicit Transaction(Db& db, bool immediate = true);
    ~Transaction();
    void commit();

private:
    Db& db_;
    bool done_ = false;
};

}  // namespace sockowner
