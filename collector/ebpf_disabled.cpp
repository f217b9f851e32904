// SOCKOWNER_EBPF=OFF: the collector is procfs-only.
#include "ebpf_source.hpp"

namespace sockowner {

std::unique_ptr<EventSource> start_ebpf(const EbpfContext&, std::string& why_not) {
    why_not = "built without eBPF (SOCKOWNER_EBPF=OFF)";
    return nullptr;
}

int remove_pins(const std::string&, std::string&) { return 0; }

}  // namespace sockowner
