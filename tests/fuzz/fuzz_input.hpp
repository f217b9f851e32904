// Helpers shared by the libFuzzer targets: typed reads off the front of an input, and
// a private scratch directory for targets whose code under test wants a file.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

namespace sockowner::fuzz {

// Reads values off the front of the input; past its end every read gives zeros.
class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}

    bool empty() const { return n_ == 0; }
    std::size_t size() const { return n_; }
    std::uint8_t u8() { return std::uint8_t(take_int(1)); }
    std::uint16_t u16() { return std::uint16_t(take_int(2)); }
    std::uint32_t u32() { return std::uint32_t(take_int(4)); }
    std::uint64_t u64() { return take_int(8); }
    // Up to n bytes (fewer at the end of the input).
    std::span<const std::uint8_t> bytes(std::size_t n) {
        n = n < n_ ? n : n_;
        std::span<const std::uint8_t> out(p_, n);
        p_ += n;
        n_ -= n;
        return out;
    }
    std::span<const std::uint8_t> rest() { return bytes(n_); }

private:
    // Little-endian, so that a seed writer can put values with memcpy.
    std::uint64_t take_int(std::size_t width) {
        std::uint64_t v = 0;
        auto b = bytes(width);
        for (std::size_t i = 0; i < b.size(); ++i) v |= std::uint64_t(b[i]) << (8 * i);
        return v;
    }
    const std::uint8_t* p_;
    std::size_t n_;
};

// A directory of this process's own, in /dev/shm when there is one (the journal
// target writes a file per input); removed at exit.
inline const std::string& scratch_dir() {
    static const std::string dir = [] {
        std::string base = std::filesystem::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0
                               ? "/dev/shm"
                               : std::filesystem::temp_directory_path().string();
        std::string tmpl = base + "/sockowner-fuzz-XXXXXX";
        if (!mkdtemp(tmpl.data())) std::abort();
        static std::string removed_at_exit = tmpl;
        std::atexit([] { std::filesystem::remove_all(removed_at_exit); });
        return tmpl;
    }();
    return dir;
}

inline void write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!f) std::abort();
}

}  // namespace sockowner::fuzz
