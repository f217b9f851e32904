#include "ebpf_pins.hpp"

#include "sockowner_abi.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace sockowner::ebpf {

namespace {

namespace fs = std::filesystem;

std::string errtext(int err) { return std::strerror(err < 0 ? -err : err); }

// Closes a descriptor at the end of a scope.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

std::optional<bpf_map_info> map_info(int fd) {
    bpf_map_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len)) return std::nullopt;
    return info;
}

// A program's tag and the ids of the maps it uses.
struct ProgramIdentity {
    std::uint8_t tag[8] = {};
    std::vector<std::uint32_t> map_ids;
};

std::optional<ProgramIdentity> identity_of(int prog_fd) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return std::nullopt;
    ProgramIdentity id;
    std::memcpy(id.tag, info.tag, sizeof id.tag);
    id.map_ids.resize(info.nr_map_ids);
    if (!id.map_ids.empty()) {
        bpf_prog_info again{};
        again.nr_map_ids = info.nr_map_ids;
        again.map_ids = reinterpret_cast<std::uint64_t>(id.map_ids.data());
        len = sizeof again;
        if (bpf_obj_get_info_by_fd(prog_fd, &again, &len)) return std::nullopt;
        id.map_ids.resize(std::min(again.nr_map_ids, info.nr_map_ids));
    }
    return id;
}

// The value of a one-entry array map (a program's .rodata: its load-time settings).
std::string array_value(int map_fd, std::uint32_t size) {
    std::string value(size, '\0');
    std::uint32_t key = 0;
    if (bpf_map_lookup_elem(map_fd, &key, value.data())) return {};
    return value;
}

bool ends_with(std::string_view s, std::string_view tail) {
    return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

Pins::~Pins() {
    if (lock_fd_ >= 0) close(lock_fd_);
}

bool Pins::lock(std::string& why_not) {
    if (mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
        why_not = "cannot create pin directory " + dir_ + ": " + errtext(errno);
        return false;
    }
    lock_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock_fd_ < 0) {
        why_not = "cannot open pin directory " + dir_ + ": " + errtext(errno);
        return false;
    }
    // What is pinned here is trusted (reused as our programs and maps): only a directory
    // nobody else could have written to. bpffs may be mounted world-writable.
    struct stat st{};
    if (fstat(lock_fd_, &st) != 0 || st.st_uid != geteuid()) {
        why_not = "pin directory " + dir_ + " belongs to uid " + std::to_string(st.st_uid) +
                  ", not to the collector: refusing what another user may have put there (remove it, or choose "
                  "--pin-dir)";
        return false;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        why_not = "pin directory " + dir_ + " is writable by group or others: refusing what another user may have "
                  "put there (remove it, or choose --pin-dir)";
        return false;
    }
    if ((st.st_mode & 077) != 0) fchmod(lock_fd_, 0700);  // nobody else may even hold its lock
    // One collector per set of pinned programs: two would split the ring buffer.
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        why_not = "the pinned programs under " + dir_ + " are in use by another sockowner collector";
        return false;
    }
    return true;
}

std::string Pins::map_path(bpf_map* map) const {
    return dir_ + "/" + bpf_map__name(map) + "_v" + std::to_string(SO_ABI_VERSION);
}

std::uint32_t Pins::pinned_size(bpf_map* map) const {
    Fd fd(bpf_obj_get(map_path(map).c_str()));
    if (fd.fd < 0) return 0;
    auto info = map_info(fd.fd);
    return info ? info->max_entries : 0;
}

void Pins::reuse_map(bpf_map* map, std::vector<std::string>& notes) {
    std::string path = map_path(map);
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) return;  // none yet
    auto info = map_info(fd);
    bool ringbuf = bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF;
    bool compatible = info && info->type == std::uint32_t(bpf_map__type(map)) &&
                      info->key_size == bpf_map__key_size(map) && info->value_size == bpf_map__value_size(map) &&
                      info->map_flags == bpf_map__map_flags(map) &&
                      (ringbuf || info->max_entries == bpf_map__max_entries(map));
    if (compatible && ringbuf) bpf_map__set_max_entries(map, info->max_entries);
    if (!compatible || bpf_map__reuse_fd(map, fd) != 0) {
        notes.push_back(std::string("the pinned map ") + bpf_map__name(map) +
                        " does not fit this build: replaced (live sockets are relearned from the iterators)");
        close(fd);
        return;
    }
    close(fd);  // reuse_fd keeps its own duplicate
    reused_.push_back(map);
}

Pins::Prior Pins::prior_link(bpf_object* obj, bpf_program* prog) const {
    std::string name = bpf_program__name(prog);
    Fd link(bpf_obj_get(link_path(name).c_str()));
    if (link.fd < 0)
        return faccessat(AT_FDCWD, legacy_link_path(name).c_str(), F_OK, AT_EACCESS) == 0 ? Prior::older : Prior::none;
    bpf_link_info linfo{};
    std::uint32_t len = sizeof linfo;
    if (bpf_obj_get_info_by_fd(link.fd, &linfo, &len)) return Prior::older;
    Fd old_prog(bpf_prog_get_fd_by_id(linfo.prog_id));
    if (old_prog.fd < 0) return Prior::older;
    auto old_id = identity_of(old_prog.fd), new_id = identity_of(bpf_program__fd(prog));
    if (!old_id || !new_id || std::memcmp(old_id->tag, new_id->tag, sizeof old_id->tag) != 0) return Prior::older;
    // Same instructions; the same shared maps (not a copy left from another run) and
    // the same load-time settings?
    for (std::uint32_t id : old_id->map_ids) {
        Fd m(bpf_map_get_fd_by_id(id));
        auto info = m.fd >= 0 ? map_info(m.fd) : std::nullopt;
        if (!info) return Prior::older;
        std::string kernel_name = info->name;
        if (ends_with(kernel_name, ".rodata")) {
            bpf_map* ours = bpf_object__find_map_by_name(obj, ".rodata");
            std::size_t size = 0;
            const void* init = ours ? bpf_map__initial_value(ours, &size) : nullptr;
            if (!init || size != info->value_size || array_value(m.fd, info->value_size) !=
                                                         std::string(static_cast<const char*>(init), size))
                return Prior::older;
            continue;
        }
        bpf_map* ours = bpf_object__find_map_by_name(obj, kernel_name.c_str());
        if (!ours || kernel_name.rfind("so_", 0) != 0 || kernel_name == "so_exec_scratch") continue;
        auto our_info = map_info(bpf_map__fd(ours));
        if (!our_info || our_info->id != id) return Prior::older;
    }
    return Prior::same;
}

bool Pins::pin_over(int fd, const std::string& path) const {
    std::string tmp = path + "_new";
    unlink(tmp.c_str());
    if (bpf_obj_pin(fd, tmp.c_str()) != 0) return false;
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        unlink(tmp.c_str());
        errno = err;
        return false;
    }
    return true;
}

void Pins::commit(const std::vector<bpf_map*>& maps, const std::vector<Attached>& attached,
                  const std::vector<std::string>& program_names, std::vector<std::string>& notes) {
    std::vector<std::string> keep;
    for (bpf_map* m : maps) {
        keep.push_back(map_path(m));
        if (std::find(reused_.begin(), reused_.end(), m) != reused_.end()) continue;
        if (!pin_over(bpf_map__fd(m), keep.back()))
            notes.push_back(std::string("map ") + bpf_map__name(m) + " not pinned (" + errtext(errno) +
                            "): a restarted collector starts afresh");
    }
    for (const auto& a : attached) {
        std::string name = bpf_program__name(a.prog);
        if (!pin_over(bpf_link__fd(a.link), link_path(name)))
            notes.push_back(std::string(bpf_program__section_name(a.prog)) + " not pinned (" + errtext(errno) +
                            "): detached when the collector stops");
    }
    for (const auto& name : program_names) keep.push_back(link_path(name));
    // Pins of programs and maps this build does not have (renamed programs, maps of
    // another ABI), and the whole old layout, go: their programs detach now that ours run.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string path = entry.path().string();
        if (entry.is_directory(ec)) {
            if (entry.path().filename() == "v1") {
                old_layout_ = true;
                std::string error;
                remove_pins(path, error);
            }
            continue;
        }
        if (std::find(keep.begin(), keep.end(), path) == keep.end()) unlink(path.c_str());
    }
}

int remove_pins(const std::string& pin_dir, std::string& error) {
    std::error_code ec;
    if (!fs::exists(pin_dir, ec)) return 0;
    int removed = 0;
    std::vector<fs::path> dirs;
    for (auto it = fs::recursive_directory_iterator(pin_dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (it->is_directory(ec)) {
            dirs.push_back(it->path());
        } else if (unlink(it->path().c_str()) == 0) {
            ++removed;
        } else {
            error = it->path().string() + ": " + errtext(errno);
            return -1;
        }
    }
    if (ec) {
        error = pin_dir + ": " + ec.message();
        return -1;
    }
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) rmdir(d->c_str());
    if (rmdir(pin_dir.c_str()) != 0 && errno != ENOENT) {
        error = pin_dir + ": " + errtext(errno);
        return -1;
    }
    return removed;
}

}  // namespace sockowner::ebpf
