// A CaptureSink that keeps copies of everything it is given, for the tests to compare.
#pragma once

#include "capture_reader.hpp"
#include "capture_types.hpp"
#include "pcapng_options.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sockowner::capture::test {

struct Event {
    enum Kind { section, block, packet, unattributable } kind;
    ByteOrder order = ByteOrder::little;  // section: its order; others: their section's
    std::vector<std::uint8_t> raw;        // the block (not for packets)
    // Packets:
    std::uint32_t interface_id = 0;
    std::uint16_t linktype = 0;
    std::int64_t time_ns = 0;
    std::uint32_t ts_high = 0, ts_low = 0, orig_len = 0;
    std::vector<std::uint8_t> data, options;

    std::uint32_t type() const;  // a block's type, in its section's order
    // A packet's options with this code, as text (comments) or u32 values.
    std::vector<std::string> texts(std::uint16_t code) const;
    std::vector<std::uint32_t> u32s(std::uint16_t code) const;
};

class RecordingSink : public CaptureSink {
public:
    std::vector<Event> events;
    void section(ByteOrder order, std::span<const std::uint8_t> shb) override {
        order_ = order;
        events.push_back({Event::section, order, {shb.begin(), shb.end()}});
    }
    void block(std::span<const std::uint8_t> raw) override {
        events.push_back({Event::block, order_, {raw.begin(), raw.end()}});
    }
    void unattributable(std::span<const std::uint8_t> raw) override {
        events.push_back({Event::unattributable, order_, {raw.begin(), raw.end()}});
    }
    void packet(const Packet& p) override {
        Event e{Event::packet, order_};
        e.interface_id = p.interface_id;
        e.linktype = p.linktype;
        e.time_ns = p.time_ns;
        e.ts_high = p.ts_high;
        e.ts_low = p.ts_low;
        e.orig_len = p.orig_len;
        e.data.assign(p.data.begin(), p.data.end());
        e.options.assign(p.options.begin(), p.options.end());
        events.push_back(std::move(e));
    }
    std::vector<const Event*> packets() const {
        std::vector<const Event*> out;
        for (const auto& e : events)
            if (e.kind == Event::packet) out.push_back(&e);
        return out;
    }

private:
    ByteOrder order_ = ByteOrder::little;
};

inline std::uint32_t Event::type() const {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = order == ByteOrder::big ? v << 8 | raw[i] : v | std::uint32_t(raw[i]) << 8 * i;
    return v;
}

inline std::vector<std::string> Event::texts(std::uint16_t code) const {
    std::vector<std::string> out;
    OptionReader r(order, options);
    Option o;
    while (r.next(o))
        if (o.code == code) out.emplace_back(o.value.begin(), o.value.end());
    return out;
}

inline std::vector<std::uint32_t> Event::u32s(std::uint16_t code) const {
    std::vector<std::uint32_t> out;
    OptionReader r(order, options);
    Option o;
    while (r.next(o)) {
        if (o.code != code) continue;
        for (std::size_t i = 0; i + 4 <= o.value.size(); i += 4) {
            std::uint32_t v = 0;
            for (int k = 0; k < 4; ++k)
                v = order == ByteOrder::big ? v << 8 | o.value[i + k] : v | std::uint32_t(o.value[i + k]) << 8 * k;
            out.push_back(v);
        }
    }
    return out;
}

inline RecordingSink read_bytes(const std::vector<std::uint8_t>& bytes) {
    RecordingSink s;
    read_capture_bytes(bytes, "test.cap", s);
    return s;
}

}  // namespace sockowner::capture::test
