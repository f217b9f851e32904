// Loading the kernel programs: open the skeleton, switch off what this kernel lacks,
// reuse pinned maps and links of an earlier run, attach the rest, then pin
// (ebpf_pins.hpp).
#pragma once

#include "ebpf_pins.hpp"
#include "sockowner_abi.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sockowner_bpf;
struct bpf_link;
struct bpf_map;

namespace sockowner::ebpf {

class Programs {
public:
    // Null on failure, with the reason in `why_not` ("BPF load refused: ...",
    // "attach of cgroup/connect4 refused: ..."). `notes` lists degradations.
    // `ring_buffer` (bytes, 0 for the default) sizes a ring buffer not pinned yet.
    static std::unique_ptr<Programs> load(const std::string& pin_dir, const std::string& cgroup2,
                                          std::uint32_t ring_buffer, std::string& why_not);
    ~Programs();
    Programs(const Programs&) = delete;
    Programs& operator=(const Programs&) = delete;

    int events_fd() const;
    std::uint32_t ring_buffer_size() const;
    const std::vector<std::string>& notes() const { return notes_; }
    int reused_links() const { return reused_; }
    int new_links() const { return created_; }
    // Programs of an older build (or of sockowner 0.1's layout) replaced at this start.
    const std::vector<std::string>& replaced() const { return replaced_names_; }
    bool replaced_old_layout() const { return pins_.replaced_old_layout(); }
    // What this build runs in the kernel: a hash of its programs and settings.
    const std::string& build_id() const { return build_id_; }
    bool has_iterators() const { return iterators_; }

    // One full pass of iter/tcp (tcp = true) or iter/udp: so_iter_record bytes. An
    // iterator lists the sockets of one network namespace: the one `netns_fd` (an open
    // /proc/PID/ns/net) names, else the collector's own.
    std::optional<std::string> iterate(bool tcp, int netns_fd, std::string& error) const;
    // enum so_counter values summed over CPUs.
    std::array<std::uint64_t, SO_CNT_MAX> counters() const;

private:
    explicit Programs(const std::string& pin_dir) : pins_(pin_dir) {}
    bool attach_all(const std::string& cgroup2, std::string& why_not);
    std::vector<bpf_map*> shared_maps() const;

    Pins pins_;
    sockowner_bpf* skel_ = nullptr;
    std::vector<bpf_link*> links_;
    std::vector<std::string> notes_, replaced_names_;
    std::string build_id_;
    int reused_ = 0, created_ = 0;
    bool iterators_ = false;
};

}  // namespace sockowner::ebpf
