// Regression tests for what the fuzz targets found, fixed where the fix is local.
// Some of these can fail only under the sanitizers (the sanitize run builds them so).
#include "reader.hpp"
#include "test_helpers.hpp"
#include "writer.hpp"

#include <vector>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

// An empty view of no string (a NULL text column) is no address; the copy of its
// bytes must not pass memcpy a null pointer (UBSan: nonnull-attribute).
void empty_address_text(void**) {
    assert_false(IpAddr::parse(std::string_view()).has_value());
    assert_false(IpAddr::parse("").has_value());
    assert_false(parse_endpoint(std::string_view()).has_value());
}

// A journal whose sockets.local_addr is NULL (a table without NOT NULL): that row is
// skipped, the others are read.
void null_address_column(void**) {
    ScratchDir dir;
    std::string path = dir.file("j.db");
    {
        JournalWriter w(path);
        w.begin_run("procfs", "test", kT0);
        w.open_socket(sock(Proto::tcp, "10.0.0.1:1", "10.0.0.2:80", kT0), process(1, 1, "a"));
        w.open_socket(sock(Proto::tcp, "10.0.0.1:2", "10.0.0.2:80", kT0), process(1, 1, "a"));
    }
    {
        Db db(path, Db::Mode::read_write_create);
        db.exec("CREATE TABLE s2 AS SELECT * FROM sockets; DROP TABLE sockets; ALTER TABLE s2 RENAME TO sockets;"
                "UPDATE sockets SET local_addr = NULL WHERE id = 1");
    }
    JournalReader r(path);
    std::vector<std::int64_t> ids;
    r.sockets_since({}, [&](const SocketRow& s) { ids.push_back(s.id); });
    assert_int_equal(ids.size(), 1);
    assert_int_equal(ids[0], 2);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(empty_address_text),
        cmocka_unit_test(null_address_column),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
