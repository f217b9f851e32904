// What the collector leaves pinned in bpffs, and how a new start takes it over:
//
//   <dir>/<map>_v<ABI>   the shared maps of this ABI, reused while the kernel's copy is
//                        compatible (so socket owners and queued events survive)
//   <dir>/link_<prog>    one link per attached program
//   <dir>/v1/            the layout of sockowner 0.1 (ABI 1), replaced at first start
//
// A start attaches what it needs before it pins anything: a refused attach leaves
// the kernel as it was. A program of an older build is replaced, not detached first:
// the new link is attached, then its pin takes the old one's place (rename is atomic)
// and the old link goes with its last reference, so no event falls between the two.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct bpf_map;
struct bpf_program;
struct bpf_link;
struct bpf_object;

namespace sockowner::ebpf {

class Pins {
public:
    explicit Pins(std::string dir) : dir_(std::move(dir)) {}
    ~Pins();
    Pins(const Pins&) = delete;
    Pins& operator=(const Pins&) = delete;

    const std::string& dir() const { return dir_; }

    // Creates the directory (mode 0700) and takes the one-collector lock on it.
    bool lock(std::string& why_not);

    // Before load: reuse the pinned copy of `map` when the kernel's is compatible (for
    // the ring buffer: whatever its size). Otherwise the map is new and its pin
    // replaces the old one at commit; `notes` says what that costs.
    void reuse_map(bpf_map* map, std::vector<std::string>& notes);
    std::uint32_t pinned_size(bpf_map* map) const;

    // After load: is a link of an earlier run already running this very program (same
    // instructions, same shared maps, same settings)? Then it is kept as it is.
    enum class Prior { none, same, older };
    Prior prior_link(bpf_object* obj, bpf_program* prog) const;

    // After every attach succeeded: pins the new maps and links in place of the old
    // ones and removes the pins of programs and maps this build no longer has.
    // Failures to pin are reported in `notes` (those objects live as long as we do).
    struct Attached {
        bpf_program* prog;
        bpf_link* link;
    };
    void commit(const std::vector<bpf_map*>& maps, const std::vector<Attached>& attached,
                const std::vector<std::string>& program_names, std::vector<std::string>& notes);

    bool replaced_old_layout() const { return old_layout_; }

private:
    std::string map_path(bpf_map* map) const;
    std::string link_path(const std::string& program) const { return dir_ + "/link_" + program; }
    std::string legacy_link_path(const std::string& program) const { return dir_ + "/v1/link_" + program; }
    // Pins `fd` at `path`, replacing what is pinned there. False with errno set.
    bool pin_over(int fd, const std::string& path) const;

    std::string dir_;
    int lock_fd_ = -1;
    std::vector<bpf_map*> reused_;
    bool old_layout_ = false;
};

// The directory's pinned maps and links removed (programs nobody else holds detach).
// Returns how many objects were removed, or -1 with `error` set.
int remove_pins(const std::string& dir, std::string& error);

}  // namespace sockowner::ebpf
