// When a side may be called the kernel's: its address is a watched host's, and that
// host's collector was running.
#include "host_coverage.hpp"
#include "test_helpers.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::test;

namespace {

IpAddr ip(const char* text) { return *IpAddr::parse(text); }

RunRow run(std::int64_t host, TimeNs started, std::optional<TimeNs> stopped) {
    RunRow r;
    r.host_id = host;
    r.started = started;
    r.stopped = stopped;
    return r;
}

void host_address_while_running(void**) {
    HostCoverage c;
    c.set_runs({run(1, kT0, kT0 + 100 * kSec)});
    c.add_address(1, ip("10.0.0.1"));
    assert_true(c.watched(ip("10.0.0.1"), kT0 + 50 * kSec));
    assert_true(c.watched(ip("10.0.0.1"), kT0));
    assert_false(c.watched(ip("10.0.0.1"), kT0 - 1));               // before the run
    assert_false(c.watched(ip("10.0.0.1"), kT0 + 100 * kSec + 1));  // after it
    assert_false(c.watched(ip("192.0.2.10"), kT0 + 50 * kSec));     // nobody's address we know
}

void loopback_belongs_to_every_host(void**) {
    HostCoverage c;
    assert_false(c.watched(ip("127.0.0.1"), kT0));  // no run at all
    c.set_runs({run(1, kT0, std::nullopt)});       // still running
    assert_true(c.watched(ip("127.0.0.1"), kT0 + 1000 * kSec));
    assert_true(c.watched(ip("127.0.0.53"), kT0));
    assert_true(c.watched(ip("::1"), kT0));
    assert_true(c.watched(ip("::ffff:127.0.0.1"), kT0));
    assert_false(c.watched(ip("::2"), kT0));
    assert_true(is_loopback(ip("127.255.0.1")));
    assert_false(is_loopback(ip("128.0.0.1")));
}

void each_host_its_own_runs(void**) {
    HostCoverage c;
    c.set_runs({run(1, kT0, kT0 + 10 * kSec), run(2, kT0 + 20 * kSec, std::nullopt)});
    c.add_address(1, ip("10.0.0.1"));
    c.add_address(2, ip("10.0.0.2"));
    c.add_address(2, ip("2001:db8::2"));
    assert_true(c.watched(ip("10.0.0.1"), kT0 + 5 * kSec));
    assert_false(c.watched(ip("10.0.0.1"), kT0 + 25 * kSec));  // host 1's collector had stopped
    assert_false(c.watched(ip("10.0.0.2"), kT0 + 5 * kSec));   // host 2's had not started
    assert_true(c.watched(ip("2001:db8::2"), kT0 + 25 * kSec));
    assert_true(c.running(2, kT0 + 25 * kSec));
    assert_false(c.running(1, kT0 + 25 * kSec));
    assert_true(c.running(0, kT0 + 5 * kSec));
    // Runs are replaced, not added to: a run's stop time arrives later.
    c.set_runs({run(1, kT0, std::nullopt)});
    assert_true(c.watched(ip("10.0.0.1"), kT0 + 25 * kSec));
    assert_false(c.watched(ip("10.0.0.2"), kT0 + 25 * kSec));
}

void wildcard_and_loopback_are_not_host_addresses(void**) {
    HostCoverage c;
    c.add_address(1, ip("0.0.0.0"));
    c.add_address(1, ip("::"));
    c.add_address(1, ip("127.0.0.1"));
    c.add_address(1, ip("10.0.0.1"));
    c.add_address(1, ip("10.0.0.1"));
    assert_int_equal(c.addresses(), 1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(host_address_while_running),
        cmocka_unit_test(loopback_belongs_to_every_host),
        cmocka_unit_test(each_host_its_own_runs),
        cmocka_unit_test(wildcard_and_loopback_are_not_host_addresses),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
