// libFuzzer target: what the kernel programs hand the collector, decoded as the
// collector decodes it. The same bytes are one ring-buffer record (decode_event, of
// exactly the input's size) and the output of one iterator pass (decode_iter_records).
// Records come from the kernel, but a layout mismatch (an older build's programs left
// pinned) must never make the collector read past a record.
#include "ebpf_events.hpp"

#include <cstdint>
#include <cstring>
#include <memory>

using namespace sockowner;
using namespace sockowner::ebpf;

namespace {

void use(const KTuple& t) {
    (void)format_endpoint(t.local);
    (void)format_endpoint(t.remote);
}

void use(const KOwner& o) {
    (void)ns_to_ticks(o.start_ns);
    (void)o.comm.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // An exact-size heap copy: ASan sees a read one byte past the record.
    auto record = std::make_unique<std::uint8_t[]>(size);
    if (size) std::memcpy(record.get(), data, size);
    if (auto ev = decode_event(record.get(), size)) {
        if (auto* s = std::get_if<SocketEvent>(&*ev)) {
            use(s->tuple);
            use(s->owner);
        } else if (auto* x = std::get_if<ExecEvent>(&*ev)) {
            use(x->owner);
            (void)x->path.size();
            (void)x->cmdline.size();
        }
    }
    for (const IterRecord& r : decode_iter_records({reinterpret_cast<const char*>(record.get()), size})) {
        use(r.tuple);
        if (r.owner) use(*r.owner);
    }
    return 0;
}
