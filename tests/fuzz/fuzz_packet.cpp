// libFuzzer target: packets through the plugin's epan-free path, as packet-proc.cpp
// drives it: locate the headers (packet_tuple) → one question per side (plan_sides) →
// the owners (Attributor, against a small journal written by the real writer) → the
// labels shown. The input is a sequence of packets, so flows and live waits carry
// state from one packet to the next:
//
//   per packet: u8 flags        bit 0: pinfo holds IPv6 addresses
//                               bits 1-2: pinfo's ported transport (1 tcp, 2 udp, else none)
//                               bit 3: live capture (attribute_live); bit 4: a new file first
//               src, dst        4 or 16 bytes each: packet_info's network addresses
//               u16 srcport, u16 dstport, i64 time (ns since the epoch)
//               u16 length, then that many bytes of frame (the rest, at the end)
// Integers little-endian. At most 32 packets per input. Each frame is also read as
// `sockowner annotate` reads one (ip_packet_tuple: the bytes from an IP header on) and
// as a packet comment the plugin reads back (read_annotations).
#include "attribution.hpp"
#include "timeutil.hpp"
#include "fuzz_input.hpp"
#include "owner_comment.hpp"
#include "owner_labels.hpp"
#include "packet_headers.hpp"
#include "sample_journal.hpp"
#include "side_plan.hpp"

using namespace sockowner;
using namespace sockowner::attribution;

namespace {

// Waiting without sleeping: the clock moves by what was slept.
class FakeWaiter final : public Waiter {
public:
    explicit FakeWaiter(TimeNs now) : now_(now) {}
    TimeNs wall_now() override { return now_; }
    void sleep(TimeNs d) override { now_ += d; }

private:
    TimeNs now_;
};

JournalFollower& journal() {
    static JournalFollower* f = [] {
        std::string path = fuzz::scratch_dir() + "/sample.db";
        fuzz::write_sample_journal(path);
        // A clock that never moves: the journal is read once, here, and never again.
        auto* j = new JournalFollower(path, [] { return TimeNs(0); });
        j->refresh(0);
        j->cover(-kTimeLimit, kTimeLimit);  // what the journal holds, at any time
        if (!j->usable() || j->index().size() == 0) std::abort();
        return j;
    }();
    return *f;
}

IpAddr take_addr(fuzz::Input& in, bool v6) {
    if (!v6) {
        std::uint32_t v = 0;
        auto b = in.bytes(4);
        std::memcpy(&v, b.data(), b.size());
        return IpAddr::v4(v);
    }
    std::uint8_t raw[16] = {};
    auto b = in.bytes(16);
    std::memcpy(raw, b.data(), b.size());
    return IpAddr::v6(raw);
}

void label(OwnerLabelCache& labels, const SideOwner& o) {
    const OwnerLabels& l = labels.get(o);
    (void)l.info.size();
    (void)l.title_for(End::src).size();
    (void)journal().source(o.source);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    journal();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    Attributor attributor(journal(), {});
    OwnerLabelCache labels(journal());
    for (int packet = 0; packet < 32 && !in.empty(); ++packet) {
        const std::uint8_t flags = in.u8();
        const bool v6 = flags & 1;
        PinfoTuple pinfo;
        pinfo.src = take_addr(in, v6);
        pinfo.dst = take_addr(in, v6);
        if (((flags >> 1) & 3) == 1) pinfo.ported = Proto::tcp;
        if (((flags >> 1) & 3) == 2) pinfo.ported = Proto::udp;
        pinfo.srcport = in.u16();
        pinfo.dstport = in.u16();
        const TimeNs at = clamp_time(TimeNs(in.u64()));  // as packet_time() makes a capture's clock
        auto frame = in.bytes(in.u16());
        if (flags & 0x10) attributor.new_file();

        if (auto t = ip_packet_tuple(frame)) (void)plan_sides(*t, at);
        std::string_view text(reinterpret_cast<const char*>(frame.data()), frame.size());
        if (auto a = read_annotations(std::span<const std::string_view>(&text, 1), Direction((flags >> 5) % 3)))
            if (a->src.process) (void)labels.annotated(*a->src.process);

        auto tuple = packet_tuple(frame, pinfo);
        if (!tuple) continue;
        PacketPlan plan = plan_sides(*tuple, at);
        FakeWaiter waiter(at);
        FrameOwners owners = flags & 0x08 ? attributor.attribute_live(plan, waiter) : attributor.attribute(plan);
        label(labels, owners.src);
        label(labels, owners.dst);
    }
    return 0;
}
