// JSON and CSV forms of an interval: every line must parse, whatever a process put
// in its command line.
#include "record_format.hpp"
#include "test_helpers.hpp"
#include "text_escape.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::test;

namespace {

void json_escapes(void**) {
    assert_str_eq(json_string("plain"), "\"plain\"");
    assert_str_eq(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_str_eq(json_string(std::string("\n\t\x01", 3)), "\"\\u000a\\u0009\\u0001\"");
    assert_str_eq(json_string("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");  // valid UTF-8 kept
    assert_str_eq(json_string("bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"");                     // invalid replaced
    assert_str_eq(json_string("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                           // overlong
    assert_str_eq(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");                // surrogate
    // C1 controls (CSI U+009B) and bidi overrides (U+202E): escaped, still valid JSON
    assert_str_eq(json_string("a\xc2\x9b" "2Jb\xe2\x80\xae"), "\"a\\u009b2Jb\\u202e\"");
}

// Whatever a process calls itself reaches a terminal only as visible escapes.
void text_escapes(void**) {
    assert_str_eq(escape_text("curl"), "curl");
    assert_true(text_is_safe("caf\xc3\xa9 \xe2\x82\xac"));
    assert_str_eq(escape_text("caf\xc3\xa9"), "caf\xc3\xa9");
    assert_str_eq(escape_text("\x1b]0;pwned\x07x"), "\\x1b]0;pwned\\x07x");   // OSC title
    assert_str_eq(escape_text("a\r\nb\tc\x7f"), "a\\r\\nb\\tc\\x7f");
    assert_str_eq(escape_text("back\\slash"), "back\\\\slash");                  // reversible
    assert_str_eq(escape_text("\xc2\x9b" "2J"), "\\u{009b}2J");                 // C1 CSI
    assert_str_eq(escape_text("evil\xe2\x80\xaetxt.exe"), "evil\\u{202e}txt.exe");  // RLO
    assert_str_eq(escape_text("bad\xff"), "bad\\xff");
    assert_false(text_is_safe("a\\b"));
}

// What escape_text() wrote reads back as the original, whatever the bytes.
void text_unescapes(void**) {
    for (std::string s : {std::string("curl"), std::string("\x1b]0;pwned\x07x"), std::string("a\r\nb\tc\x7f"),
                          std::string("back\\slash \\x41"), std::string("\xc2\x9b" "2J"),
                          std::string("evil\xe2\x80\xaetxt"), std::string("bad\xff\xc0"), std::string("nul\0in", 6),
                          std::string("caf\xc3\xa9 \xf0\x9f\x90\x8d")})
        assert_str_eq(unescape_text(escape_text(s)), s);
    // What escape_text() never writes stays as it is.
    assert_str_eq(unescape_text("a\\q \\u{zz} \\x4 \\u{d800} end\\"), "a\\q \\u{zz} \\x4 \\u{d800} end\\");
}

void csv_quoting(void**) {
    assert_str_eq(csv_field("a b"), "a b");
    assert_str_eq(csv_field("a,b"), "\"a,b\"");
    assert_str_eq(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_str_eq(csv_field("two\nlines"), "two\\nlines");  // no raw line break: one row per line
    // Formulas become text; numbers stay numbers.
    assert_str_eq(csv_field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    assert_str_eq(csv_field("+1"), "'+1");
    assert_str_eq(csv_field("@SUM(A1)"), "'@SUM(A1)");
    assert_str_eq(csv_field("-5", true), "-5");
}

void interval_keys(void**) {
    SocketRow r;
    r.id = 9;
    r.s = sock(Proto::tcp, "127.0.0.1:5555", "127.0.0.1:8000", kT0);
    ProcessRow p;
    p.p = process(4242, 1, "curl");
    auto json = to_json(interval_fields(r, &p));
    for (const char* key : {"\"proto\":\"tcp\"", "\"family\":4", "\"local_addr\":\"127.0.0.1\"", "\"local_port\":5555",
                            "\"remote_addr\":\"127.0.0.1\"", "\"remote_port\":8000", "\"opened\":\"2027-",
                            "\"closed\":null", "\"pid\":4242", "\"name\":\"curl\"", "\"cmdline\":\"curl --flag\"",
                            "\"user\":\"root\"", "\"source\":\"procfs\""})
        if (json.find(key) == std::string::npos) fail_msg("%s not in %s", key, json.c_str());
    // Without a process (it was deleted by retention), numbers become null, not "".
    auto orphan = to_json(interval_fields(r, nullptr));
    assert_true(orphan.find("\"pid\":null") != std::string::npos);
    auto fields = interval_fields(r, &p);
    assert_str_eq(csv_header(fields).substr(0, 17), "proto,family,loca");
    assert_str_eq(to_csv(fields).substr(0, 15), "tcp,4,127.0.0.1");
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(text_escapes),
        cmocka_unit_test(text_unescapes),
        cmocka_unit_test(csv_quoting),
        cmocka_unit_test(interval_keys),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
