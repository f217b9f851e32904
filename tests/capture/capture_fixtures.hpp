// Captures built byte by byte for the tests, the fuzz seeds and the benchmark, with
// a writer of their own (not the library's BlockBuilder), so that a mistake in the
// library is not repeated in what checks it.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockowner::capture::test {

using Bytes = std::vector<std::uint8_t>;

// Appends integers in one byte order.
struct Put {
    Bytes& b;
    bool big;
    void u8(std::uint8_t v) { b.push_back(v); }
    void u16(std::uint16_t v) { n(v, 2); }
    void u32(std::uint32_t v) { n(v, 4); }
    void u64(std::uint64_t v) { n(v, 8); }
    void raw(const void* p, std::size_t len) {
        const auto* c = static_cast<const std::uint8_t*>(p);
        b.insert(b.end(), c, c + len);
    }
    void pad() {
        while (b.size() % 4) b.push_back(0);
    }
    void n(std::uint64_t v, int width) {
        for (int i = 0; i < width; ++i) b.push_back(std::uint8_t(v >> 8 * (big ? width - 1 - i : i)));
    }
};

// A frame of `size` bytes whose contents tell frames apart.
inline Bytes frame(std::size_t size, std::uint8_t seed) {
    Bytes f(size);
    for (std::size_t i = 0; i < size; ++i) f[i] = std::uint8_t(seed * 31 + i);
    return f;
}

struct PcapRecord {
    std::uint32_t sec, frac;  // frac: µs or ns as the file's magic says
    Bytes data;
    std::uint32_t orig_len;
};

// A classic pcap file; `modified`: the 0xa1b2cd34 format (8 more bytes per record).
inline Bytes pcap_file(bool big, bool ns, std::uint32_t linktype, const std::vector<PcapRecord>& records,
                       bool modified = false) {
    Bytes b;
    Put p{b, big};
    p.u32(modified ? 0xa1b2cd34 : ns ? 0xa1b23c4d : 0xa1b2c3d4);
    p.u16(2);
    p.u16(4);
    p.u32(0);
    p.u32(0);
    p.u32(262144);
    p.u32(linktype);
    for (const auto& r : records) {
        p.u32(r.sec);
        p.u32(r.frac);
        p.u32(std::uint32_t(r.data.size()));
        p.u32(r.orig_len);
        if (modified) {
            p.u32(1);   // ifindex
            p.u16(8);   // protocol
            p.u8(0);    // packet type
            p.u8(0);    // padding
        }
        p.raw(r.data.data(), r.data.size());
    }
    return b;
}

// A pcapng file, block by block. Each call appends one block in the byte order of
// the last section().
class Pcapng {
public:
    struct Opt {
        std::uint16_t code;
        Bytes value;
    };
    static Opt text(std::uint16_t code, std::string_view s) { return {code, Bytes(s.begin(), s.end())}; }
    static Opt u8(std::uint16_t code, std::uint8_t v) { return {code, Bytes{v}}; }
    Opt u32opt(std::uint16_t code, std::uint32_t v) const {
        Bytes b;
        Put{b, big_}.u32(v);
        return {code, b};
    }
    Opt u64opt(std::uint16_t code, std::uint64_t v) const {
        Bytes b;
        Put{b, big_}.u64(v);
        return {code, b};
    }

    Pcapng& section(bool big, const std::vector<Opt>& opts = {}, std::uint64_t length = ~0ull) {
        big_ = big;
        return block(0x0A0D0D0A, [&](Put& p) {
            p.u32(0x1A2B3C4D);
            p.u16(1);
            p.u16(0);
            p.u64(length);
            options(p, opts);
        });
    }
    Pcapng& idb(std::uint16_t linktype, const std::vector<Opt>& opts = {}) {
        return block(1, [&](Put& p) {
            p.u16(linktype);
            p.u16(0);
            p.u32(65535);
            options(p, opts);
        });
    }
    Pcapng& epb(std::uint32_t iface, std::uint64_t ts, const Bytes& data, const std::vector<Opt>& opts = {},
                std::optional<std::uint32_t> orig_len = {}) {
        return block(6, [&](Put& p) {
            p.u32(iface);
            p.u32(std::uint32_t(ts >> 32));
            p.u32(std::uint32_t(ts));
            p.u32(std::uint32_t(data.size()));
            p.u32(orig_len.value_or(std::uint32_t(data.size())));
            p.raw(data.data(), data.size());
            p.pad();
            options(p, opts);
        });
    }
    // The obsolete packet block (type 2).
    Pcapng& pb(std::uint16_t iface, std::uint64_t ts, const Bytes& data, const std::vector<Opt>& opts = {}) {
        return block(2, [&](Put& p) {
            p.u16(iface);
            p.u16(7);  // drops
            p.u32(std::uint32_t(ts >> 32));
            p.u32(std::uint32_t(ts));
            p.u32(std::uint32_t(data.size()));
            p.u32(std::uint32_t(data.size()) + 10);
            p.raw(data.data(), data.size());
            p.pad();
            options(p, opts);
        });
    }
    Pcapng& spb(const Bytes& data) {
        return block(3, [&](Put& p) {
            p.u32(std::uint32_t(data.size()));
            p.raw(data.data(), data.size());
            p.pad();
        });
    }
    // A name resolution block: one IPv4 record, then nrb_end.
    Pcapng& nrb() {
        return block(4, [&](Put& p) {
            p.u16(1);
            p.u16(4 + 10);
            const std::uint8_t addr[4] = {192, 0, 2, 1};
            p.raw(addr, 4);
            p.raw("host.test", 10);
            p.pad();
            p.u16(0);
            p.u16(0);
        });
    }
    // An interface statistics block: isb_ifrecv.
    Pcapng& isb(std::uint32_t iface) {
        return block(5, [&](Put& p) {
            p.u32(iface);
            p.u32(0);
            p.u32(1000);
            options(p, {u64opt(4, 42)});
        });
    }
    // A custom block (copyable, type 0xBAD): a PEN and opaque bytes.
    Pcapng& custom() {
        return block(0x00000BAD, [&](Put& p) {
            p.u32(32473);  // the documentation PEN
            p.raw("opaque!", 7);
            p.pad();
        });
    }
    // Apple's Darwin process information block.
    Pcapng& darwin(std::uint32_t pid, std::string_view name) {
        return block(0x80000001, [&](Put& p) {
            p.u32(pid);
            options(p, {text(2, name)});
        });
    }
    Pcapng& raw(const Bytes& bytes) {
        b_.insert(b_.end(), bytes.begin(), bytes.end());
        return *this;
    }

    // Offsets where each block starts, and the end: where a prefix is a whole file.
    const std::vector<std::size_t>& boundaries() const { return starts_; }
    Bytes bytes() const { return b_; }
    bool big() const { return big_; }

    template <class F>
    Pcapng& block(std::uint32_t type, F body) {
        starts_.push_back(b_.size());
        Bytes blk;
        Put p{blk, big_};
        p.u32(type);
        p.u32(0);
        body(p);
        p.pad();
        p.u32(0);
        const std::uint32_t len = std::uint32_t(blk.size());
        Bytes l;
        Put{l, big_}.u32(len);
        std::memcpy(blk.data() + 4, l.data(), 4);
        std::memcpy(blk.data() + blk.size() - 4, l.data(), 4);
        b_.insert(b_.end(), blk.begin(), blk.end());
        return *this;
    }

private:
    static void options(Put& p, const std::vector<Opt>& opts) {
        if (opts.empty()) return;
        for (const auto& o : opts) {
            p.u16(o.code);
            p.u16(std::uint16_t(o.value.size()));
            p.raw(o.value.data(), o.value.size());
            p.pad();
        }
        p.u32(0);
    }

    Bytes b_;
    bool big_ = false;
    std::vector<std::size_t> starts_;
};

// The file the tests use most: two sections (little-endian, then big-endian), every
// kind of block, comments, tsresol and tsoffset variants. Its packets, in order:
//   s0: EPB if0 (µs) with 2 comments; EPB if1 (ns, 5 bytes); PB if0; EPB if2 (2^-10 s,
//       offset 1e9 s); SPB (not a packet)
//   s1 (big-endian): EPB if0 (ms) with a comment; EPB if0 with 0 bytes of data
inline Pcapng rich_pcapng() {
    Pcapng f;
    f.section(false, {Pcapng::text(4, "fixture")});
    f.idb(1);
    f.idb(101, {Pcapng::u8(9, 9), Pcapng::text(2, "eth9")});
    f.idb(113, {Pcapng::u8(9, 0x8a), f.u64opt(14, 1'000'000'000)});
    f.nrb();
    f.epb(0, 1'700'000'000'123'456ull, frame(60, 1), {Pcapng::text(1, "first comment"), Pcapng::text(1, "second")});
    f.epb(1, 1'700'000'000'123'456'789ull, frame(5, 2));
    f.custom();
    f.pb(0, 1'700'000'001'000'000ull, frame(3, 3), {Pcapng::text(1, "from a PB")});
    f.epb(2, 1024ull * 10, frame(7, 4));
    f.spb(frame(9, 5));
    f.isb(0);
    f.darwin(4242, "launchd");
    f.section(true);
    f.idb(1, {Pcapng::u8(9, 3)});
    f.epb(0, 1'700'000'002'500ull, frame(61, 6), {Pcapng::text(1, "big-endian")});
    f.epb(0, 1'700'000'002'501ull, {});
    return f;
}

}  // namespace sockowner::capture::test
