// libFuzzer target: the /proc parsers. Any process may choose what its comm, argv and
// cgroup path hold, and its stat line carries the comm; the parsers must take any
// bytes. The first byte picks the parser, the rest is the file's text.
#include "procfs_parse.hpp"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

using namespace sockowner;
using namespace sockowner::procfs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // An exact-size heap copy, so that ASan sees a read past the text's end.
    auto copy = std::make_unique<char[]>(size - 1);
    if (size > 1) std::memcpy(copy.get(), data + 1, size - 1);
    std::string_view text(copy.get(), size - 1);
    switch (data[0] % 8) {
        case 0: {
            std::size_t bad = 0;
            for (const NetEntry& e : parse_net(text, &bad)) (void)format_endpoint(e.local);
            break;
        }
        case 1:
            if (auto s = parse_stat(text)) (void)s->comm.size();
            break;
        case 2: (void)parse_status(text); break;
        case 3: (void)parse_cmdline(text); break;
        case 4: (void)container_id(parse_cgroup(text)); break;
        case 5: (void)container_id(text); break;
        case 6: (void)parse_inode_link(text, "socket"); break;
        case 7: (void)parse_inode_link(text, "net"); break;
    }
    return 0;
}
