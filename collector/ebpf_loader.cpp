#include "ebpf_loader.hpp"

#include "ebpf_pins.hpp"
#include "log.hpp"
#include "sockowner.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdarg>
#include <cstring>

namespace sockowner::ebpf {

namespace {

// What libbpf printed during a load, to explain a refusal in one line: the program
// that failed and the verifier's last word on it.
std::string g_load_failed, g_verifier_last;

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list ap) {
    if (level == LIBBPF_DEBUG) return 0;
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    std::string text(std::size_t(n > 0 ? n : 0) + 1, '\0');
    vsnprintf(text.data(), text.size(), fmt, ap);
    text.resize(std::size_t(n > 0 ? n : 0));
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) continue;
        SO_DEBUG("libbpf: %s", line.c_str());
        if (line.find("load failed") != std::string::npos) g_load_failed = line.substr(line.find("prog "));
        else if (line.find("PROG LOAD LOG") == std::string::npos && line.find("processed ") != 0 &&
                 line.rfind("libbpf: ", 0) != 0 && line[0] != ';')
            g_verifier_last = line;
    }
    return n;
}

// Checks use the effective credentials (AT_EACCESS): access() would check with the
// real uid and, for a service user, without its capabilities (CAP_DAC_READ_SEARCH).
std::string tracefs_root() {
    for (const char* p : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
        if (faccessat(AT_FDCWD, (std::string(p) + "/events").c_str(), F_OK, AT_EACCESS) == 0) return p;
    return "";
}

bool tracepoint_exists(const std::string& tracefs, const char* category, const char* name) {
    return !tracefs.empty() &&
           faccessat(AT_FDCWD, (tracefs + "/events/" + category + "/" + name).c_str(), F_OK, AT_EACCESS) == 0;
}

bool btf_has_enum_value(const btf* b, const char* enum_name, const char* value) {
    if (!b) return false;
    int id = btf__find_by_name_kind(b, enum_name, BTF_KIND_ENUM);
    if (id < 0) return false;
    const btf_type* t = btf__type_by_id(b, id);
    const struct btf_enum* e = ::btf_enum(t);
    for (int i = 0; i < btf_vlen(t); ++i)
        if (!std::strcmp(btf__name_by_offset(b, e[i].name_off), value)) return true;
    return false;
}

bool btf_has_struct(const btf* b, const char* name) {
    return b && btf__find_by_name_kind(b, name, BTF_KIND_STRUCT) >= 0;
}

std::string errtext(int err) { return std::strerror(err < 0 ? -err : err); }

// An iterator takes the network namespace of the thread that creates it: enter the
// namespace for the creation only. -1 with `error` set on failure.
int create_iterator_in(int link_fd, int netns_fd, std::string& error) {
    if (netns_fd < 0) {
        int fd = bpf_iter_create(link_fd);
        if (fd < 0) error = "bpf_iter_create: " + errtext(errno);
        return fd;
    }
    static const int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) {
        error = "cannot open the collector's own network namespace: " + errtext(errno);
        return -1;
    }
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
        error = "cannot enter the network namespace: " + errtext(errno);
        return -1;
    }
    int fd = bpf_iter_create(link_fd);
    int err = errno;
    if (setns(own, CLONE_NEWNET) != 0) {
        // Everything after would look at the wrong namespace: better stop here.
        SO_ERROR("cannot return to the collector's network namespace: %s", errtext(errno).c_str());
        std::abort();
    }
    if (fd < 0) error = "bpf_iter_create: " + errtext(err);
    return fd;
}

bool btf_has_typedef(const btf* b, const char* name) { return b && btf__find_by_name_kind(b, name, BTF_KIND_TYPEDEF) >= 0; }

// A short id of what this build loads: the programs' tags and load-time settings.
std::string build_id_of(bpf_object* obj) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&](const void* data, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<const std::uint8_t*>(data)[i]) * 0x100000001b3ull;
    };
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj) {
        if (bpf_program__fd(prog) < 0) continue;
        bpf_prog_info info{};
        std::uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) mix(info.tag, sizeof info.tag);
    }
    if (bpf_map* ro = bpf_object__find_map_by_name(obj, ".rodata")) {
        std::size_t size = 0;
        if (const void* v = bpf_map__initial_value(ro, &size)) mix(v, size);
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", (unsigned long long)h);
    return std::string(out, 8);
}

}  // namespace

std::unique_ptr<Programs> Programs::load(const std::string& pin_dir, const std::string& cgroup2,
                                         std::uint32_t ring_buffer, std::string& why_not) {
    libbpf_set_print(libbpf_log);
    std::unique_ptr<Programs> p(new Programs(pin_dir));
    if (!p->pins_.lock(why_not)) return nullptr;
    p->skel_ = sockowner_bpf__open();
    if (!p->skel_) {
        why_not = "cannot open BPF object: " + errtext(errno);
        return nullptr;
    }
    auto* s = p->skel_;
    // A pinned ring buffer keeps its size; a new one takes the requested size.
    std::uint32_t pinned = p->pins_.pinned_size(s->maps.so_events);
    if (pinned && ring_buffer && pinned != ring_buffer)
        p->notes_.push_back("the pinned ring buffer keeps its " + std::to_string(pinned >> 10) +
                            " KiB; --ring-buffer applies after `sockowner cleanup`");
    if (ring_buffer) bpf_map__set_max_entries(s->maps.so_events, ring_buffer);
    for (bpf_map* m : p->shared_maps()) p->pins_.reuse_map(m, p->notes_);

    // Switch off what this kernel cannot take, rather than failing the whole load.
    btf* vmlinux = btf__load_vmlinux_btf();
    std::string tracefs = tracefs_root();
    auto optional = [&](bpf_program* prog, bool available, const char* what) {
        if (available) return;
        bpf_program__set_autoload(prog, false);
        if (what) p->notes_.push_back(what);
    };
    bool release = btf_has_enum_value(vmlinux, "bpf_attach_type", "BPF_CGROUP_INET_SOCK_RELEASE");
    // The release program that clears so_reported's slots reads the socket's port
    // through bpf_cast_to_kern_ctx (Linux 6.2+).
    bool kern_ctx = btf__find_by_name_kind(vmlinux, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) >= 0;
    optional(s->progs.so_sock_release, release && kern_ctx, nullptr);
    optional(s->progs.so_sock_release_noslot, release && !kern_ctx, nullptr);
    if (!release) p->notes_.push_back("no cgroup/sock_release: UDP and ICMP sockets close at the next resync");
    bool recvmsg = btf_has_enum_value(vmlinux, "bpf_attach_type", "BPF_CGROUP_UDP4_RECVMSG");
    optional(s->progs.so_recvmsg4, recvmsg, "no cgroup/recvmsg4: receive-only UDP keeps its creator as owner");
    optional(s->progs.so_recvmsg6, recvmsg, nullptr);
    // sock_send_length and sock_recv_length: Linux 6.3 and later.
    bool use = btf_has_typedef(vmlinux, "btf_trace_sock_send_length") &&
               btf_has_typedef(vmlinux, "btf_trace_sock_recv_length");
    optional(s->progs.so_send, use,
             "no sock_send_length tracepoint (Linux < 6.3): a TCP socket handed to another process (fork, "
             "exec, SCM_RIGHTS) keeps the owner that accepted or connected it");
    optional(s->progs.so_recv, use, nullptr);
    s->rodata->so_uses_followed = use ? 1 : 0;
    bool accept_tp = tracepoint_exists(tracefs, "syscalls", "sys_exit_accept4");
    optional(s->progs.so_exit_accept, accept_tp && tracepoint_exists(tracefs, "syscalls", "sys_exit_accept"),
             "no syscall tracepoints: accepted sockets keep the listener's owner until used");
    optional(s->progs.so_exit_accept4, accept_tp, nullptr);
    bool tcp_state = btf_has_typedef(vmlinux, "btf_trace_inet_sock_set_state");
    optional(s->progs.so_state, tcp_state, "no inet_sock_set_state tracepoint: TCP closes at the next resync");
    // TCP sockets are reported by connect (sockops), listen and accept (the state
    // tracepoint): the per-packet programs then let TCP packets pass after one check.
    // Without the tracepoint, the programs that report TCP by its packets too.
    // The former also trust a slot of so_reported, which sock_release clears.
    bool by_events = tcp_state && release && kern_ctx;
    optional(s->progs.so_egress, by_events, nullptr);
    optional(s->progs.so_ingress, by_events, nullptr);
    optional(s->progs.so_egress_all, !by_events, nullptr);
    optional(s->progs.so_ingress_all, !by_events, nullptr);
    optional(s->progs.so_exec, tracepoint_exists(tracefs, "sched", "sched_process_exec"),
             "no sched_process_exec tracepoint: exe and cmdline of short-lived processes unknown");
    optional(s->progs.so_exit, tracepoint_exists(tracefs, "sched", "sched_process_exit"),
             "no sched_process_exit tracepoint: process exit times from procfs");
    p->iterators_ = btf_has_struct(vmlinux, "bpf_iter__tcp") && btf_has_struct(vmlinux, "bpf_iter__udp");
    optional(s->progs.so_iter_tcp, p->iterators_, "no BPF socket iterators: start-up snapshot from procfs");
    optional(s->progs.so_iter_udp, p->iterators_, nullptr);
    btf__free(vmlinux);

    g_load_failed.clear();
    g_verifier_last.clear();
    if (int err = sockowner_bpf__load(p->skel_)) {
        why_not = "BPF load refused: " + (g_load_failed.empty() ? errtext(err) : g_load_failed);
        if (!g_verifier_last.empty()) why_not += " (verifier: " + g_verifier_last + ")";
        return nullptr;
    }
    p->build_id_ = build_id_of(s->obj);
    if (!p->attach_all(cgroup2, why_not)) return nullptr;
    return p;
}

std::vector<bpf_map*> Programs::shared_maps() const {
    return {skel_->maps.so_sk_state, skel_->maps.so_events, skel_->maps.so_counters, skel_->maps.so_reported};
}

// Every program is attached (or found attached already) before anything is pinned:
// a refused attach detaches what this start attached and leaves the pins as they were.
bool Programs::attach_all(const std::string& cgroup2, std::string& why_not) {
    int cg = open(cgroup2.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) {
        why_not = "cannot open cgroup v2 root " + cgroup2 + ": " + errtext(errno);
        return false;
    }
    std::vector<Pins::Attached> attached;
    std::vector<std::string> names;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
        if (!bpf_program__autoload(prog)) continue;
        const char* sec = bpf_program__section_name(prog);
        if (!std::strncmp(sec, "iter/", 5)) continue;  // attached for each snapshot
        names.emplace_back(bpf_program__name(prog));
        Pins::Prior prior = pins_.prior_link(skel_->obj, prog);
        if (prior == Pins::Prior::same) {
            ++reused_;  // still attached from an earlier run
            continue;
        }
        bool is_cgroup = !std::strncmp(sec, "cgroup", 6) || !std::strcmp(sec, "sockops");
        bpf_link* link = is_cgroup ? bpf_program__attach_cgroup(prog, cg) : bpf_program__attach(prog);
        if (!link) {
            why_not = std::string("attach of ") + sec + " refused: " + errtext(errno);
            for (auto& a : attached) bpf_link__destroy(a.link);
            close(cg);
            return false;
        }
        attached.push_back({prog, link});
        if (prior == Pins::Prior::older) replaced_names_.push_back(names.back());
        else ++created_;
    }
    close(cg);
    pins_.commit(shared_maps(), attached, names, notes_);
    for (auto& a : attached) links_.push_back(a.link);
    return true;
}

Programs::~Programs() {
    for (auto* l : links_) bpf_link__destroy(l);  // pinned links stay attached
    sockowner_bpf__destroy(skel_);
}

int Programs::events_fd() const { return bpf_map__fd(skel_->maps.so_events); }

std::uint32_t Programs::ring_buffer_size() const { return bpf_map__max_entries(skel_->maps.so_events); }

std::optional<std::string> Programs::iterate(bool tcp, int netns_fd, std::string& error) const {
    bpf_program* prog = tcp ? skel_->progs.so_iter_tcp : skel_->progs.so_iter_udp;
    bpf_link* link = bpf_program__attach_iter(prog, nullptr);
    if (!link) {
        error = std::string("attach of ") + bpf_program__section_name(prog) + ": " + errtext(errno);
        return std::nullopt;
    }
    int fd = create_iterator_in(bpf_link__fd(link), netns_fd, error);
    if (fd < 0) {
        bpf_link__destroy(link);
        return std::nullopt;
    }
    std::string out;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) continue;  // the kernel restarts the pass
        if (n < 0) {
            error = "reading the socket iterator: " + errtext(errno);
            close(fd);
            bpf_link__destroy(link);
            return std::nullopt;
        }
        if (n == 0) break;
        out.append(buf, std::size_t(n));
    }
    close(fd);
    bpf_link__destroy(link);
    return out;
}

std::array<std::uint64_t, SO_CNT_MAX> Programs::counters() const {
    std::array<std::uint64_t, SO_CNT_MAX> sum{};
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) return sum;
    std::vector<std::uint64_t> values(static_cast<std::size_t>(cpus));
    int fd = bpf_map__fd(skel_->maps.so_counters);
    for (__u32 k = 0; k < SO_CNT_MAX; ++k) {
        if (bpf_map_lookup_elem(fd, &k, values.data())) continue;
        for (auto v : values) sum[k] += v;
    }
    return sum;
}

}  // namespace sockowner::ebpf
