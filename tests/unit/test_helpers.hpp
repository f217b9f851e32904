// Builders and a scratch directory shared by the journal and index tests.
#pragma once

#include "reader.hpp"
#include "types.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace sockowner::test {

inline constexpr TimeNs kSec = 1'000'000'000;
inline constexpr TimeNs kT0 = 1'800'000'000 * kSec;  // an arbitrary wall-clock origin

inline Endpoint ep(const char* text) { return parse_endpoint(text).value(); }

inline ProcessInfo process(int pid, std::uint64_t start_ticks, const char* comm) {
    ProcessInfo p;
    p.pid = pid;
    p.start_ticks = start_ticks;
    p.start_time = kT0 + TimeNs(start_ticks) * 10'000'000;
    p.comm = comm;
    p.user = "root";
    p.cmdline = std::string(comm) + " --flag";
    p.exe = std::string("/usr/bin/") + comm;
    return p;
}

inline SocketRecord sock(Proto proto, const char* local, const char* remote, TimeNs opened,
                         std::optional<TimeNs> closed = std::nullopt, const char* source = "procfs") {
    SocketRecord s;
    s.proto = proto;
    s.local = ep(local);
    s.remote = ep(remote);
    s.family = s.local.addr.family();
    s.opened = opened;
    s.closed = closed;
    s.source = source;
    return s;
}

// Every socket row of a journal, by id (the feed is in change order).
inline std::vector<SocketRow> all_sockets(JournalReader& r) {
    std::vector<SocketRow> out;
    r.sockets_since({}, [&](const SocketRow& s) { out.push_back(s); });
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    return out;
}

// A fresh directory under $TMPDIR, removed at destruction.
class ScratchDir {
public:
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sockowner-test-XXXXXX").string();
        path_ = mkdtemp(tmpl.data());
    }
    ~ScratchDir() { std::filesystem::remove_all(path_); }
    std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace sockowner::test
