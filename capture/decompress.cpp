#include "decompress.hpp"

#include "capture_types.hpp"

#include <climits>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>

#if SOCKOWNER_HAVE_ZLIB
#include <zlib.h>
#endif
#if SOCKOWNER_HAVE_ZSTD
#include <zstd.h>
#endif
#if SOCKOWNER_HAVE_LZ4
#include <lz4frame.h>
#endif

namespace sockowner::capture {

namespace {

bool starts_with(const std::uint8_t* p, std::size_t n, std::initializer_list<std::uint8_t> magic) {
    return n >= magic.size() && std::memcmp(p, magic.begin(), magic.size()) == 0;
}

// What every decompressor shares: the compressed bytes at hand, and the errors.
class Decoder : public ByteStream {
protected:
    Decoder(ByteSource& raw, const char* what) : raw_(raw), what_(what) {}

    // The compressed bytes buffered at the current position, more read when none are;
    // empty at the end of the input.
    std::span<const std::uint8_t> input() {
        if (raw_.left() == 0) raw_.peek(1);
        return {raw_.left() ? raw_.current() : &kNothing, raw_.left()};
    }
    [[noreturn]] void truncated() const {
        throw CaptureError(raw_.name() + ": truncated " + what_ + " data at byte " + std::to_string(raw_.offset()));
    }
    [[noreturn]] void damaged(const char* why) const {
        throw CaptureError(raw_.name() + ": damaged " + what_ + " data at byte " + std::to_string(raw_.offset()) +
                           (why && *why ? std::string(": ") + why : std::string()));
    }

    ByteSource& raw_;
    const char* what_;
    static constexpr std::uint8_t kNothing = 0;  // a valid pointer for an empty input
};

#if SOCKOWNER_HAVE_ZLIB
class Gzip final : public Decoder {
public:
    explicit Gzip(ByteSource& raw) : Decoder(raw, "gzip") {
        if (inflateInit2(&z_, 15 + 16) != Z_OK) throw CaptureError(raw.name() + ": out of memory for gzip");
    }
    ~Gzip() override { inflateEnd(&z_); }

    std::size_t read(std::uint8_t* dst, std::size_t cap) override {
        z_.next_out = dst;
        z_.avail_out = unsigned(std::min<std::size_t>(cap, UINT_MAX));
        const unsigned room = z_.avail_out;
        while (z_.avail_out == room) {
            std::span<const std::uint8_t> in = input();
            if (!in_member_) {  // after a member: another one, or the end
                if (in.empty()) break;
                if (in[0] != 0x1f || (raw_.peek(2) && raw_.current()[1] != 0x8b))
                    throw CaptureError(raw_.name() + ": not gzip data after the gzip stream at byte " +
                                       std::to_string(raw_.offset()));
                inflateReset(&z_);
                in_member_ = true;
                in = input();
            }
            if (in.empty()) truncated();
            z_.next_in = const_cast<Bytef*>(in.data());
            z_.avail_in = unsigned(std::min<std::size_t>(in.size(), UINT_MAX));
            const unsigned offered = z_.avail_in;
            const int rc = inflate(&z_, Z_NO_FLUSH);
            raw_.consume(offered - z_.avail_in);
            if (rc == Z_STREAM_END)
                in_member_ = false;
            else if (rc != Z_OK)
                damaged(z_.msg);
        }
        return room - z_.avail_out;
    }

private:
    z_stream z_{};
    bool in_member_ = true;
};
#endif

#if SOCKOWNER_HAVE_ZSTD
class Zstd final : public Decoder {
public:
    explicit Zstd(ByteSource& raw) : Decoder(raw, "zstd"), d_(ZSTD_createDStream()) {
        if (!d_) throw CaptureError(raw.name() + ": out of memory for zstd");
    }
    ~Zstd() override { ZSTD_freeDStream(d_); }

    std::size_t read(std::uint8_t* dst, std::size_t cap) override {
        ZSTD_outBuffer out{dst, cap, 0};
        for (;;) {
            const std::span<const std::uint8_t> in = input();
            if (in.empty() && frame_done_) return 0;
            ZSTD_inBuffer zin{in.data(), in.size(), 0};
            const std::size_t r = ZSTD_decompressStream(d_, &out, &zin);
            raw_.consume(zin.pos);
            if (ZSTD_isError(r)) damaged(ZSTD_getErrorName(r));
            frame_done_ = r == 0;  // the frame ended and all of it is out
            if (out.pos > 0) return out.pos;
            if (in.empty()) truncated();  // nothing more to come, and the frame not finished
        }
    }

private:
    ZSTD_DStream* d_;
    bool frame_done_ = false;
};
#endif

#if SOCKOWNER_HAVE_LZ4
class Lz4 final : public Decoder {
public:
    explicit Lz4(ByteSource& raw) : Decoder(raw, "lz4") {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&d_, LZ4F_VERSION)))
            throw CaptureError(raw.name() + ": out of memory for lz4");
    }
    ~Lz4() override { LZ4F_freeDecompressionContext(d_); }

    std::size_t read(std::uint8_t* dst, std::size_t cap) override {
        for (;;) {
            const std::span<const std::uint8_t> in = input();
            std::size_t made = cap, taken = in.size();
            const std::size_t r = LZ4F_decompress(d_, dst, &made, in.data(), &taken, nullptr);
            raw_.consume(taken);
            if (LZ4F_isError(r)) damaged(LZ4F_getErrorName(r));
            if (r == 0) frame_open_ = false;  // a frame ended; the next starts afresh
            else if (taken > 0) frame_open_ = true;
            if (made > 0) return made;
            if (in.empty()) {
                if (frame_open_) truncated();
                return 0;
            }
        }
    }

private:
    LZ4F_dctx* d_ = nullptr;
    bool frame_open_ = false;
};
#endif

}  // namespace

Compression compression_of(const std::uint8_t* p, std::size_t n) {
    if (starts_with(p, n, {0x1f, 0x8b})) return Compression::gzip;
    if (starts_with(p, n, {0x28, 0xb5, 0x2f, 0xfd})) return Compression::zstd;
    if (starts_with(p, n, {0x04, 0x22, 0x4d, 0x18})) return Compression::lz4;
    if (starts_with(p, n, {0xfd, '7', 'z', 'X'})) return Compression::xz;
    if (starts_with(p, n, {'B', 'Z', 'h'})) return Compression::bzip2;
    return Compression::none;
}

const char* compression_name(Compression c) {
    switch (c) {
    case Compression::none: return "uncompressed";
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    case Compression::lz4: return "lz4";
    case Compression::xz: return "xz";
    case Compression::bzip2: return "bzip2";
    }
    return "?";
}

bool can_decompress(Compression c) {
    switch (c) {
    case Compression::gzip: return SOCKOWNER_HAVE_ZLIB;
    case Compression::zstd: return SOCKOWNER_HAVE_ZSTD;
    case Compression::lz4: return SOCKOWNER_HAVE_LZ4;
    default: return false;
    }
}

std::unique_ptr<ByteStream> decompressor(Compression c, ByteSource& raw) {
    switch (c) {
#if SOCKOWNER_HAVE_ZLIB
    case Compression::gzip: return std::make_unique<Gzip>(raw);
#endif
#if SOCKOWNER_HAVE_ZSTD
    case Compression::zstd: return std::make_unique<Zstd>(raw);
#endif
#if SOCKOWNER_HAVE_LZ4
    case Compression::lz4: return std::make_unique<Lz4>(raw);
#endif
    default: break;
    }
    const bool wireshark_reads = c == Compression::gzip || c == Compression::zstd || c == Compression::lz4;
    throw CaptureError(raw.name() + ": " + compression_name(c) + "-compressed capture: " +
                       (wireshark_reads ? "this build of sockowner reads none; " : "") + "decompress it first");
}

}  // namespace sockowner::capture
