// The eBPF fast path (built when SOCKOWNER_EBPF is ON; otherwise start_ebpf()
// always declines with that reason).
#pragma once

#include "event_source.hpp"
#include "ownership_table.hpp"
#include "process_cache.hpp"

#include <memory>
#include <string>

namespace sockowner {

struct EbpfContext {
    OwnershipTable& table;
    ProcessCache& cache;
    const procfs::Reader& proc;
    std::string pin_dir;  // bpffs directory for the pinned maps and links
    std::uint32_t ring_buffer = 0;  // ring buffer bytes for new maps; 0: default
};

// Loads, attaches (or reuses the pinned programs of an earlier run) and takes the
// start-up snapshot. On failure returns null and says why in `why_not`, in words an
// operator can act on ("not root and no CAP_BPF", "no BTF at ...", ...).
std::unique_ptr<EventSource> start_ebpf(const EbpfContext& ctx, std::string& why_not);

// Removes the pinned maps and links (`sockowner cleanup`). Returns how many went.
int remove_pins(const std::string& pin_dir, std::string& error);

}  // namespace sockowner
