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
    Stmt(sqlite3* db, std::string_view sql);
    Stmt(Stmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
    Stmt& operator=(Stmt&& o) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, std::string_view v);
    Stmt& bind_null(int i);
    template <typename T>
    Stmt& bind_opt(int i, const T& opt) {
        return opt ? bind(i, *opt) : bind_null(i);
    }

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
};

class Db {
public:
    enum class Mode { read_only, read_write_create };
    Db(const std::string& path, Mode mode);
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    sqlite3* get() const { return db_; }
    const std::string& path() const { return path_; }
    void exec(std::string_view sql);
    std::int64_t pragma_int(std::string_view name);
    Stmt prepare(std::string_view sql) const { return Stmt(db_, sql); }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
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
