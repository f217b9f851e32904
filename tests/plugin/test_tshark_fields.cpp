// Which fields tshark 4.0's -T fields prints, from its command line.
#include "tshark_fields.hpp"
#include "test_helpers.hpp"

#include <fstream>

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner::plugin;
using namespace sockowner::test;

namespace {

using Args = std::vector<std::string>;
using Fields = std::optional<std::vector<std::string>>;

void assert_fields(const Args& argv, const Fields& expected) {
    Fields got = tshark_printed_fields(argv);
    assert_int_equal(got.has_value(), expected.has_value());
    if (expected) assert_true(*got == *expected);
}

void reads_the_e_fields(void**) {
    assert_fields({"tshark", "-r", "x.pcap", "-T", "fields", "-e", "frame.number", "-e", "proc.src.name"},
                  Args{"frame.number", "proc.src.name"});
    assert_fields({"/usr/bin/tshark", "-Tfields", "-eproc.pid", "-o", "proc.journal:j.db", "-r", "x"},
                  Args{"proc.pid"});
    // Options clustered, the last taking the rest of the word or the next one.
    assert_fields({"tshark", "-nqTfields", "-2ne", "proc.dst.pid"}, Args{"proc.dst.pid"});
    // Long options, abbreviated, with "=" or the next word as their argument.
    assert_fields({"tshark", "--disable-protocol", "-e", "--color", "--export-o=http,/tmp", "--enable-h", "x",
                   "-T", "fields", "-e", "proc.name"},
                  Args{"proc.name"});
    // Logging options (taken out before getopt), either form.
    assert_fields({"tshark", "--log-level", "debug", "--log-domain=proc", "-T", "fields", "-e", "a"}, Args{"a"});
    // Options end at "--" and at the first non-option (tshark's "+"): what follows is a
    // capture filter.
    assert_fields({"tshark", "-T", "fields", "-e", "a", "--", "-e", "b"}, Args{"a"});
    assert_fields({"tshark", "-T", "fields", "-e", "a", "host", "-e", "b"}, Args{"a"});
}

// An option's argument is never taken for an option.
void arguments_are_not_options(void**) {
    assert_fields({"tshark", "-Y", "-T", "-T", "fields", "-e", "x"}, Args{"x"});
    assert_fields({"tshark", "-Y", "-T", "fields", "-e", "x"}, std::nullopt);
    assert_fields({"tshark", "-T", "fields", "-o", "-e", "-e", "y"}, Args{"y"});
    assert_fields({"tshark", "-T", "fields", "-z", "proc,tree"}, Args{});
    assert_fields({"tshark", "-T", "fields", "-Y", "-e proc.pid"}, Args{});
}

// Other outputs, other programs, and anything not understood: no answer (the whole tree).
void anything_else_is_no_answer(void**) {
    assert_fields({"tshark", "-r", "x", "-V"}, std::nullopt);
    assert_fields({"tshark", "-T", "pdml", "-e", "proc.pid"}, std::nullopt);
    // tshark 4.0 refuses a second -T; the parse takes the last.
    assert_fields({"tshark", "-T", "fields", "-e", "a", "-T", "json"}, std::nullopt);
    assert_fields({"tshark", "-T", "json", "-Tfields", "-e", "a"}, Args{"a"});
    assert_fields({"wireshark", "-T", "fields", "-e", "a"}, std::nullopt);
    assert_fields({"/usr/bin/rawshark", "-T", "fields"}, std::nullopt);
    assert_fields({"tshark-wrapper", "-T", "fields"}, std::nullopt);
    assert_fields({}, std::nullopt);
    assert_fields({"tshark", "-Z", "-T", "fields", "-e", "a"}, std::nullopt);      // unknown option
    assert_fields({"tshark", "--no-such", "-T", "fields", "-e", "a"}, std::nullopt);  // unknown long option
    assert_fields({"tshark", "--dis", "x", "-T", "fields"}, std::nullopt);       // ambiguous abbreviation
    assert_fields({"tshark", "--color=yes", "-T", "fields"}, std::nullopt);      // no argument allowed
    assert_fields({"tshark", "-T", "fields", "-e"}, std::nullopt);               // argument missing
    assert_fields({"tshark", "-T", "fields", "--hexdump"}, std::nullopt);
    assert_fields({"tshark", "-G", "fields", "-T", "fields"}, std::nullopt);     // a glossary
}

void reads_a_command_line(void**) {
    ScratchDir dir;
    const char raw[] = "tshark\0-T\0fields\0-e\0\0-e\0a b";  // the kernel ends each with a NUL
    std::ofstream(dir.file("cmdline"), std::ios::binary) << std::string(raw, sizeof raw);
    assert_true(own_command_line(dir.file("cmdline").c_str()) == (Args{"tshark", "-T", "fields", "-e", "", "-e", "a b"}));
    assert_true(own_command_line(dir.file("none").c_str()).empty());
    Args self = own_command_line();
    assert_false(self.empty());
    assert_false(tshark_printed_fields(self).has_value());  // this test is not tshark
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_e_fields),
        cmocka_unit_test(arguments_are_not_options),
        cmocka_unit_test(anything_else_is_no_answer),
        cmocka_unit_test(reads_a_command_line),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
