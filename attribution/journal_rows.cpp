#include "journal_rows.hpp"

#include "sqlite.hpp"

namespace sockowner::attribution {

std::int64_t journal_socket_rows(const std::string& path) {
    Db db(path, Db::Mode::read_only);
    Stmt st = db.prepare("SELECT count(*) FROM sockets");
    return st.step() ? st.i64(0) : 0;
}

}  // namespace sockowner::attribution
