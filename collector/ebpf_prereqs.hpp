// What eBPF collection needs from the host, checked before loading anything, so that
// a refusal can say why in words an operator can act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockowner::ebpf {

// CapEff from the text of /proc/self/status.
std::optional<std::uint64_t> parse_cap_eff(std::string_view status);
// "" when the effective set can load and attach the programs (CAP_SYS_ADMIN, or
// CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN); else "missing CAP_BPF, CAP_PERFMON".
std::string missing_capabilities(std::uint64_t cap_eff);

// Mount point of the first filesystem of this type in the text of /proc/mounts.
std::optional<std::string> find_mount(std::string_view mounts, std::string_view fstype);

struct HostPaths {
    std::string cgroup2;  // where the cgroup v2 hierarchy is mounted
};

// Checks privileges, BTF, cgroup v2; mounts bpffs (at the pin directory's bpffs) and
// tracefs when missing and permitted. Returns the reason eBPF cannot be used, or "".
std::string prepare_host(const std::string& pin_dir, HostPaths& out);

}  // namespace sockowner::ebpf
