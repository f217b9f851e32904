// network_layer(): the IP header's place for each link type handled, through VLAN
// stacks, and nothing for short, non-IP or unknown frames.
#include "capture_fixtures.hpp"
#include "link_layer.hpp"

#include "cmocka.hpp"  // last: it defines macros such as fail()

#include <optional>

using namespace sockowner::capture;
using namespace sockowner::capture::test;

namespace {

const Bytes kIpv4 = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
const Bytes kIpv6 = {0x60, 0, 0, 0, 0, 0, 6, 64};

Bytes cat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Where the IP header starts, -1 for none.
long offset_of(std::uint16_t linktype, const Bytes& f) {
    auto ip = network_layer(linktype, f);
    if (!ip) return -1;
    assert_int_equal(ip->data() + ip->size(), f.data() + f.size());  // up to the frame's end
    return ip->data() - f.data();
}

const Bytes kMacs(12, 0xaa);

void ethernet_and_vlans(void**) {
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x08, 0x00}), kIpv4)), 14);
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x86, 0xdd}), kIpv6)), 14);
    // 802.1Q; 802.1ad + 802.1Q (QinQ); the old 0x9100 twice then 802.1Q.
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x81, 0x00, 0, 5, 0x08, 0x00}), kIpv4)), 18);
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 6, 0x86, 0xdd}), kIpv6)), 22);
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x91, 0, 0, 1, 0x91, 0, 0, 2, 0x81, 0, 0, 3, 0x08, 0}), kIpv4)), 26);
    // ARP; a tag with nothing after it; a frame ending inside the type; no IP after it;
    // an IPv6 version nibble behind the IPv4 ethertype.
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x08, 0x06}), kIpv4)), -1);
    assert_int_equal(offset_of(1, cat(kMacs, {0x81, 0x00, 0, 5})), -1);
    assert_int_equal(offset_of(1, cat(kMacs, {0x08})), -1);
    assert_int_equal(offset_of(1, cat(kMacs, {0x08, 0x00})), -1);
    assert_int_equal(offset_of(1, cat(cat(kMacs, {0x08, 0x00}), kIpv6)), -1);
    assert_int_equal(offset_of(1, {}), -1);
    // A frame of nothing but VLAN tags ends the loop.
    Bytes tags = kMacs;
    for (int i = 0; i < 1000; ++i) tags = cat(tags, {0x81, 0x00, 0, 1});
    assert_int_equal(offset_of(1, tags), -1);
}

void loopbacks(void**) {
    // NULL: host order of the capturing machine, either; LOOP: network order.
    for (std::uint16_t lt : {std::uint16_t(0), std::uint16_t(108)}) {
        assert_int_equal(offset_of(lt, cat({2, 0, 0, 0}, kIpv4)), 4);
        assert_int_equal(offset_of(lt, cat({0, 0, 0, 2}, kIpv4)), 4);
        for (std::uint8_t af : {24, 28, 30}) {
            assert_int_equal(offset_of(lt, cat({af, 0, 0, 0}, kIpv6)), 4);
            assert_int_equal(offset_of(lt, cat({0, 0, 0, af}, kIpv6)), 4);
        }
        assert_int_equal(offset_of(lt, cat({2, 0, 0, 0}, kIpv6)), -1);
        assert_int_equal(offset_of(lt, cat({17, 0, 0, 0}, kIpv4)), -1);
        assert_int_equal(offset_of(lt, {2, 0, 0}), -1);
        assert_int_equal(offset_of(lt, {2, 0, 0, 0}), -1);
    }
}

void raw_and_ip(void**) {
    for (std::uint16_t lt : {std::uint16_t(101), std::uint16_t(12), std::uint16_t(14)}) {
        assert_int_equal(offset_of(lt, kIpv4), 0);
        assert_int_equal(offset_of(lt, kIpv6), 0);
        assert_int_equal(offset_of(lt, {0x20, 0}), -1);
        assert_int_equal(offset_of(lt, {}), -1);
    }
    assert_int_equal(offset_of(228, kIpv4), 0);
    assert_int_equal(offset_of(228, kIpv6), -1);
    assert_int_equal(offset_of(229, kIpv6), 0);
    assert_int_equal(offset_of(229, kIpv4), -1);
}

void linux_cooked(void**) {
    Bytes sll(16, 0);
    sll[14] = 0x08;
    assert_int_equal(offset_of(113, cat(sll, kIpv4)), 16);
    sll[14] = 0x86;
    sll[15] = 0xdd;
    assert_int_equal(offset_of(113, cat(sll, kIpv6)), 16);
    assert_int_equal(offset_of(113, Bytes(sll.begin(), sll.end() - 1)), -1);
    sll[15] = 0x06;
    assert_int_equal(offset_of(113, cat(sll, kIpv4)), -1);

    Bytes sll2(20, 0);
    sll2[0] = 0x08;
    assert_int_equal(offset_of(276, cat(sll2, kIpv4)), 20);
    sll2[0] = 0x86;
    sll2[1] = 0xdd;
    assert_int_equal(offset_of(276, cat(sll2, kIpv6)), 20);
    assert_int_equal(offset_of(276, Bytes(sll2.begin(), sll2.end() - 1)), -1);
    // The SLL layout is not SLL2's.
    assert_int_equal(offset_of(113, cat(sll2, kIpv6)), -1);
}

void other_link_types(void**) {
    for (std::uint16_t lt : {std::uint16_t(105), std::uint16_t(127), std::uint16_t(9), std::uint16_t(0xffff)})
        assert_int_equal(offset_of(lt, cat(cat(kMacs, {0x08, 0x00}), kIpv4)), -1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(ethernet_and_vlans),
        cmocka_unit_test(loopbacks),
        cmocka_unit_test(raw_and_ip),
        cmocka_unit_test(linux_cooked),
        cmocka_unit_test(other_link_types),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
