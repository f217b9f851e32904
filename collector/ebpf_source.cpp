// The eBPF source: ring-buffer events and iterator snapshots → the ownership table.
#include "ebpf_source.hpp"

#include "cgroup_paths.hpp"
#include "ebpf_events.hpp"
#include "ebpf_loader.hpp"
#include "ebpf_prereqs.hpp"
#include "log.hpp"
#include "procfs_parse.hpp"
#include "procfs_snapshot.hpp"
#include "socket_ident.hpp"
#include "timeutil.hpp"
#include "tuple_key.hpp"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>

namespace sockowner {

namespace {

using namespace ebpf;

constexpr TimeNs kOffsetResample = 10 * kNsPerSec;
constexpr TimeNs kResyncInterval = 60 * kNsPerSec;
constexpr TimeNs kTick = kNsPerSec;

struct ExecInfo {
    std::uint32_t image = 0;
    std::string exe, cmdline;
};

class EbpfSource final : public EventSource {
public:
    EbpfSource(const EbpfContext& ctx, std::unique_ptr<Programs> progs, std::string cgroup2)
        : table_(ctx.table), cache_(ctx.cache), proc_(ctx.proc), progs_(std::move(progs)),
          cgroups_(std::move(cgroup2)), offset_(boot_to_wall_offset()) {}
    ~EbpfSource() override { ring_buffer__free(rb_); }

    bool init(std::string& why_not) {
        rb_ = ring_buffer__new(progs_->events_fd(), &EbpfSource::on_sample, this, nullptr);
        if (!rb_) {
            why_not = "cannot map the BPF ring buffer";
            return false;
        }
        last_lost_ = lost_at_start_ = progs_->counters()[SO_CNT_LOST];
        return true;
    }

    int wait_fd() const override { return ring_buffer__epoll_fd(rb_); }
    std::string kernel_build() const override { return "bpf " + progs_->build_id(); }
    std::optional<std::uint64_t> kernel_lost_total() const override { return lost_at_start_; }
    void on_readable() override { ring_buffer__consume(rb_); }
    TimeNs next_tick() const override { return next_tick_; }

    void tick(TimeNs now) override {
        next_tick_ = now + kTick;
        if (now >= next_offset_) {
            offset_ = boot_to_wall_offset();
            cache_.set_boot_offset(offset_);
            next_offset_ = now + kOffsetResample;
        }
        auto counters = progs_->counters();
        bool lost = counters[SO_CNT_LOST] > last_lost_;
        if (lost) {
            SO_WARN("%llu events lost (ring buffer full): resynchronising",
                    (unsigned long long)(counters[SO_CNT_LOST] - last_lost_));
            last_lost_ = counters[SO_CNT_LOST];
        }
        if (lost || now >= next_resync_) resync(now);
    }

    // Brings the table in line with the kernel's sockets: adds those no event told us
    // about (older than the programs, or whose events were lost), closes those gone.
    void resync(TimeNs now) {
        ring_buffer__consume(rb_);  // events before the snapshot first
        ++resyncs_;
        next_resync_ = now + kResyncInterval;
        // One walk of /proc: the processes alive and a member of each network namespace.
        std::unordered_set<std::int32_t> live;
        const auto members = procfs::netns_members(proc_, &live);
        forget_exited(now, live);
        if (progs_->has_iterators() && resync_from_iterators(now, members)) resync_icmp_raw(now, members);
        else resync_from_procfs(now);
    }

    void drain() { ring_buffer__consume(rb_); }

    void report(JournalWriter& w) const override {
        auto k = progs_->counters();
        w.set_counter("ebpf.kernel_events", std::int64_t(k[SO_CNT_EVENTS]));
        w.set_counter("ebpf.lost", std::int64_t(k[SO_CNT_LOST] - lost_at_start_));  // in this run
        w.set_counter("ebpf.lost_total", std::int64_t(k[SO_CNT_LOST]));            // since the programs loaded
        w.set_counter("ebpf.ring_buffer_bytes", std::int64_t(progs_->ring_buffer_size()));
        w.set_counter("ebpf.no_storage", std::int64_t(k[SO_CNT_NO_STORAGE]));
        w.set_counter("ebpf.events", std::int64_t(events_));
        w.set_counter("ebpf.undecodable", std::int64_t(undecodable_));
        w.set_counter("ebpf.socket_events", std::int64_t(socket_events_));
        w.set_counter("ebpf.accepts", std::int64_t(accepts_));
        w.set_counter("ebpf.handoffs", std::int64_t(handoffs_));
        w.set_counter("ebpf.without_cookie", std::int64_t(no_cookie_));
        w.set_counter("ebpf.closes", std::int64_t(closes_));
        w.set_counter("ebpf.execs", std::int64_t(execs_seen_));
        w.set_counter("ebpf.exits", std::int64_t(exits_));
        w.set_counter("ebpf.resyncs", std::int64_t(resyncs_));
        w.set_counter("ebpf.links_reused", progs_->reused_links());
        w.set_counter("ebpf.links_created", progs_->new_links());
        w.set_counter("ebpf.links_replaced", std::int64_t(progs_->replaced().size()));
        w.set_counter("iterator.sockets", std::int64_t(iterator_sockets_));
        w.set_counter("iterator.unowned", std::int64_t(iterator_unowned_));
        w.set_counter("iterator.fd_scans", std::int64_t(fd_scans_));
        w.set_counter("cache.hits", std::int64_t(resolved_hits_ + cache_.stats().hits));
        w.set_counter("cache.misses", std::int64_t(resolved_misses_));
        w.set_counter("process.details_from_exec", std::int64_t(from_exec_));
        w.set_counter("process.details_from_procfs", std::int64_t(from_procfs_));
        w.set_counter("process.details_from_parent", std::int64_t(from_parent_));
        w.set_counter("process.details_missing", std::int64_t(details_missing_));
        w.set_counter("process.cgroup_from_id", std::int64_t(cgroup_from_id_));
    }

private:
    static int on_sample(void* self, void* data, std::size_t size) {
        static_cast<EbpfSource*>(self)->handle(data, size);
        return 0;
    }

    TimeNs wall(std::uint64_t boot_ns) const { return TimeNs(boot_ns) + offset_; }

    void handle(const void* data, std::size_t size) {
        ++events_;
        auto ev = decode_event(data, size);
        if (!ev) {
            ++undecodable_;
            return;
        }
        if (auto* s = std::get_if<SocketEvent>(&*ev)) on_socket(*s);
        else if (auto* c = std::get_if<CloseEvent>(&*ev)) on_close(*c);
        else if (auto* x = std::get_if<ExecEvent>(&*ev)) on_exec(*x);
        else if (auto* e = std::get_if<ExitEvent>(&*ev)) on_exit(*e);
    }

    static SocketRecord record(const KTuple& t, std::uint64_t netns, std::uint64_t cookie, std::uint64_t inode,
                               std::string source, TimeNs opened) {
        return SocketRecord{t.proto, t.family, t.local, t.remote, netns, cookie, inode, std::move(source), opened,
                            std::nullopt};
    }

    static bool same_tuple(const SocketRecord& s, const KTuple& t) {
        return s.proto == t.proto && s.local == t.local && s.remote == t.remote;
    }

    void on_socket(const SocketEvent& e) {
        ++socket_events_;
        if (!e.cookie) {  // established before the programs, accepted after: the resync has it
            ++no_cookie_;
            return;
        }
        auto known = table_.find(e.cookie);
        bool same = known && same_tuple(known->s, e.tuple);
        TimeNs ts = wall(e.ts);
        if (e.accept) {
            ++accepts_;
            // The interval opened with the listener's owner (inherited) becomes the
            // acceptor's from its start: the worker, not the listener, owns it.
            if (same) {
                table_.reassign(e.cookie, resolve(e.owner));
                return;
            }
        } else if (e.inherited && same) {
            return;  // accept() has already named the owner
        }
        // Another process took the socket over: its interval begins where the previous
        // owner last sent or received (what arrived after that, the new owner read; an
        // acceptor that only accepted hands over the whole connection).
        TimeNs opened = ts;
        if (known && e.since) {
            opened = std::min(std::max(wall(e.since), known->s.opened), ts);
            ++handoffs_;
        }
        table_.observe(e.cookie, record(e.tuple, e.netns, e.cookie, 0, "ebpf", opened), resolve(e.owner));
    }

    void on_close(const CloseEvent& e) {
        ++closes_;
        if (e.cookie) table_.close(e.cookie, wall(e.ts));
    }

    static ProcessKey key_of(const KOwner& o) { return {o.tgid, ns_to_ticks(o.start_ns), image_of(o)}; }
    // 0 means "unknown image" (procfs): never the kernel's.
    static std::uint32_t image_of(const KOwner& o) { return o.exec_id ? o.exec_id : 1; }

    // Per-process maps keep the process's current image only (one runs at a time).
    static ProcessKey process_of(const KOwner& o) { return {o.tgid, ns_to_ticks(o.start_ns), 0}; }

    void on_exec(const ExecEvent& e) {
        ++execs_seen_;
        // The new image: sockets it uses from now on are its own, under its name.
        execs_[process_of(e.owner)] = ExecInfo{image_of(e.owner), e.path, cache_.with_cmdline() ? e.cmdline : ""};
    }

    void on_exit(const ExitEvent& e) {
        ++exits_;
        ProcessKey key{e.tgid, ns_to_ticks(e.start_ns), 0};
        table_.process_exited(key, wall(e.ts));
        cache_.forget(key);
        resolved_.erase(key);
        execs_.erase(key);
    }

    // The full process details for an owner the kernel named: its name, ids and start
    // from the event itself (so a process that exited within a millisecond still has
    // them), exe and command line from its exec event, else from /proc while it lives,
    // else from its parent when it was forked without exec.
    const ProcessInfo& resolve(const KOwner& o) {
        ProcessKey key = key_of(o);
        if (auto it = resolved_.find(process_of(o)); it != resolved_.end() && it->second.image == key.image) {
            ++resolved_hits_;
            return it->second;
        }
        ++resolved_misses_;
        ProcessInfo p;
        p.pid = o.tgid;
        p.start_ticks = key.start_ticks;
        p.image = key.image;
        p.start_time = wall(o.start_ns);
        p.ppid = o.ppid;
        p.uid = o.uid;
        p.gid = o.gid;
        p.comm = o.comm;
        p.user = cache_.user_name(o.uid);
        if (auto x = execs_.find(process_of(o)); x != execs_.end() && x->second.image == key.image) {
            p.exe = x->second.exe;
            p.cmdline = x->second.cmdline;
            ++from_exec_;
        }
        // The event gave the ids; its cgroup id names the cgroup while the directory
        // exists (/proc/PID/cgroup read only when it does not resolve).
        std::optional<std::string> cgroup = cgroups_.path_of(o.cgroup_id, wall_now());
        const ProcessCache::Needs need{.ids = false, .cgroup = !cgroup};
        auto live = cache_.get(key, need);
        if (live && live->comm != p.comm) live = cache_.reread(key, need);  // read before an exec
        if (live && p.exe.empty() && !live->exe.empty()) {  // a zombie has no exe any more
            p.exe = live->exe;
            p.cmdline = live->cmdline;
            ++from_procfs_;
        }
        if (cgroup) {
            p.cgroup = std::move(*cgroup);
            p.container = procfs::container_id(p.cgroup);
            ++cgroup_from_id_;
        } else if (live) {
            p.cgroup = live->cgroup;
            p.container = live->container;
        }
        if (p.exe.empty()) {
            // Gone (or a zombie) before /proc could be read, and no exec since we watch:
            // a forked child still running its parent's program has its parent's image.
            // The parent as cached (no /proc read; exit events forget processes) when it
            // started before the child: else its pid names a later process, or it was
            // never cached.
            const ProcessInfo* parent = cache_.cached(o.ppid);
            std::optional<ProcessInfo> read;
            if (!parent || parent->start_ticks > key.start_ticks) {
                read = cache_.get(o.ppid, need);
                parent = read && read->start_ticks <= key.start_ticks ? &*read : nullptr;
            }
            if (parent && parent->comm == p.comm && !parent->exe.empty()) {
                p.exe = parent->exe;
                p.cmdline = parent->cmdline;
                if (p.cgroup.empty()) {
                    p.cgroup = parent->cgroup;
                    p.container = parent->container;
                }
                ++from_parent_;
            } else {
                ++details_missing_;
            }
        }
        return resolved_[process_of(o)] = std::move(p);
    }

    // Exit events normally forget processes; this catches the ones whose exit was lost
    // (or a kernel without the exit tracepoint), so that the caches stay bounded.
    void forget_exited(TimeNs now, const std::unordered_set<std::int32_t>& live) {
        for (const ProcessKey& k : cache_.sweep(live)) table_.process_exited(k, now);
        auto gone = [&](const auto& entry) { return !live.count(entry.first.pid); };
        std::erase_if(resolved_, gone);
        std::erase_if(execs_, gone);
    }

    // Iterators list one network namespace each: iterate every namespace a process
    // uses. Returns the namespaces covered; empty when even our own failed.
    std::unordered_set<std::uint64_t> iterate_namespaces(std::vector<IterRecord>& records,
                                                         std::unordered_map<std::uint64_t, std::int32_t> members) {
        std::unordered_set<std::uint64_t> covered;
        auto own_link = proc_.readlink("self/ns/net");
        std::uint64_t own = 0;  // 0: unknown (then every namespace is entered)
        if (own_link) own = procfs::parse_inode_link(*own_link, "net").value_or(0);
        members.erase(own);
        auto pass = [&](int netns_fd, std::string& error) {
            std::vector<IterRecord> found;
            for (bool tcp : {true, false}) {
                auto bytes = progs_->iterate(tcp, netns_fd, error);
                if (!bytes) return false;
                auto r = decode_iter_records(*bytes);
                found.insert(found.end(), r.begin(), r.end());
            }
            records.insert(records.end(), found.begin(), found.end());
            return true;
        };
        std::string error;
        if (!pass(-1, error)) {
            SO_WARN("socket iterator failed (%s): snapshot from procfs", error.c_str());
            return covered;
        }
        covered.insert(own);
        for (auto [netns, pid] : members) {
            std::string path = proc_.root() + "/" + std::to_string(pid) + "/ns/net";
            int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;  // gone meanwhile
            if (pass(fd, error)) covered.insert(netns);
            else SO_DEBUG("network namespace %llu not iterated: %s", (unsigned long long)netns, error.c_str());
            close(fd);
        }
        return covered;
    }

    bool resync_from_iterators(TimeNs now, const std::unordered_map<std::uint64_t, std::int32_t>& members) {
        std::vector<IterRecord> records;
        auto covered = iterate_namespaces(records, members);
        if (covered.empty()) return false;
        iterator_sockets_ = records.size();
        std::optional<procfs::InodeOwners> holders;  // /proc/PID/fd, read when needed
        std::unordered_set<std::uint64_t> seen, unowned;
        seen.reserve(records.size());
        for (const IterRecord& r : records) {
            if (!r.cookie) continue;
            seen.insert(r.cookie);
            resync_one(r, now, holders, unowned);
        }
        unowned_.swap(unowned);
        // What the iterators cover (TCP, UDP) and they did not list has gone. Sockets
        // that events opened during the pass are not in it: leave those alone.
        std::size_t closed = table_.close_missing(seen, now, [&](std::uint64_t ident, const SocketRecord& s) {
            return !is_inode_ident(ident) && (s.proto == Proto::tcp || s.proto == Proto::udp) && s.opened < now &&
                   covered.count(s.netns);
        });
        SO_DEBUG("resync: %zu sockets from iterators in %zu network namespaces, %zu intervals closed, %.1f ms",
                 records.size(), covered.size(), closed, double(wall_now() - now) / 1e6);
        return true;
    }

    // One socket as the kernel has it now. Its owner: the process that last used it
    // (recorded in the kernel); for an accepted socket no process has used yet, the
    // acceptor the events named, else whoever holds it in /proc, else the listener's
    // owner (not accepted yet); for a socket older than the programs, its holder.
    void resync_one(const IterRecord& r, TimeNs now, std::optional<procfs::InodeOwners>& holders,
                    std::unordered_set<std::uint64_t>& unowned) {
        auto known = table_.find(r.cookie);
        bool same = known && same_tuple(known->s, r.tuple);
        std::optional<ProcessInfo> owner;
        std::string source = "iterator";
        if (r.owner && !r.inherited) {
            owner = resolve(*r.owner);
        } else if (same) {
            table_.keep(r.cookie);  // events (accept) named the owner; the kernel knows no newer
            return;
        } else if (r.inode && !unowned_.count(r.cookie)) {
            // Every process's fd table: once for a socket in none of them (a kernel
            // socket such as an NFS client's, one only in flight in SCM_RIGHTS), not at
            // every resync (a host's thousands of processes: a second of CPU each time).
            if (!holders) {
                procfs::Snapshot stats;
                holders = procfs::scan_fd_tables(proc_, stats);
                ++fd_scans_;
            }
            auto it = holders->socket_owner.find(r.inode);
            if (it != holders->socket_owner.end()) {
                owner = cache_.get(it->second.pid);
                if (it->second.holders > 1) source = "iterator-shared";
            }
        }
        if (!owner && r.owner) owner = resolve(*r.owner);
        if (!owner) {
            ++iterator_unowned_;  // orphaned by close(), or in no fd table we may read
            unowned.insert(r.cookie);
            return;
        }
        // New to us: since its owner started (we cannot know when it opened). Known
        // with another tuple or owner: events were lost; the change is dated now.
        TimeNs opened = known ? now : std::min(now, owner->start_time);
        table_.observe(r.cookie, record(r.tuple, r.netns, r.cookie, r.inode, source, opened), *owner);
    }

    // A socket only procfs told us about: owned by its fd table's process, since that
    // process started (we cannot know when the socket opened).
    void observe_procfs(std::uint64_t ident, const procfs::OwnedSocket& o, TimeNs now) {
        auto owner = cache_.get(o.pid);
        if (!owner) return;
        table_.observe(ident,
                       SocketRecord{o.proto, o.family, o.local, o.remote, o.netns, 0, o.inode,
                                    o.shared ? "procfs-shared" : "procfs", std::min(now, owner->start_time),
                                    std::nullopt},
                       *owner);
    }

    static bool icmp_or_raw(Proto p) { return p == Proto::icmp || p == Proto::icmpv6 || p == Proto::raw; }

    // ICMP and raw sockets, which no iterator lists, from procfs: those no event told
    // us about (older than the programs, e.g. a ping started before the collector).
    void resync_icmp_raw(TimeNs now, const std::unordered_map<std::uint64_t, std::int32_t>& members) {
        std::unordered_map<TupleKey, std::vector<std::uint64_t>, TupleKeyHash> from_events;  // tuple → netns
        table_.for_each([&](std::uint64_t ident, const SocketRecord& s) {
            if (!is_inode_ident(ident) && icmp_or_raw(s.proto))
                from_events[TupleKey::of(s.proto, s.local, s.remote)].push_back(s.netns);
        });
        auto known = [&](const procfs::OwnedSocket& o) {
            if (table_.contains(inode_ident(o.inode))) return true;
            auto it = from_events.find(TupleKey::of(o.proto, o.local, o.remote));
            return it != from_events.end() && std::find(it->second.begin(), it->second.end(), o.netns) != it->second.end();
        };
        procfs::Snapshot snap =
            procfs::take_snapshot_of(proc_, {Proto::icmp, Proto::icmpv6, Proto::raw}, known, &members);
        std::unordered_set<std::uint64_t> seen;
        for (const auto& o : snap.sockets) {
            std::uint64_t ident = inode_ident(o.inode);
            seen.insert(ident);
            if (o.pid != 0) observe_procfs(ident, o, now);
            else table_.keep(ident);  // known already (perhaps from the previous run)
        }
        table_.close_missing(seen, now, [](std::uint64_t ident, const SocketRecord& s) {
            return is_inode_ident(ident) && icmp_or_raw(s.proto);
        });
    }

    void resync_from_procfs(TimeNs now) {
        procfs::Snapshot snap = procfs::take_snapshot(proc_);
        std::unordered_set<std::uint64_t> seen;
        for (const auto& o : snap.sockets) {
            std::uint64_t ident = inode_ident(o.inode);
            seen.insert(ident);
            if (!table_.contains(ident)) observe_procfs(ident, o, now);
        }
        table_.close_missing(seen, now, [](std::uint64_t ident, const SocketRecord&) { return is_inode_ident(ident); });
    }

    OwnershipTable& table_;
    ProcessCache& cache_;
    const procfs::Reader& proc_;
    std::unique_ptr<Programs> progs_;
    CgroupPaths cgroups_;
    ring_buffer* rb_ = nullptr;
    TimeNs offset_;
    TimeNs next_tick_ = 0, next_offset_ = 0, next_resync_ = 0;
    std::uint64_t last_lost_ = 0, lost_at_start_ = 0;
    std::unordered_map<ProcessKey, ProcessInfo, ProcessKeyHash> resolved_;  // by process: its current image
    std::unordered_set<std::uint64_t> unowned_;  // cookies of sockets in no fd table at the last resync
    std::unordered_map<ProcessKey, ExecInfo, ProcessKeyHash> execs_;        // by process: its last exec
    std::uint64_t handoffs_ = 0, no_cookie_ = 0;
    std::uint64_t events_ = 0, undecodable_ = 0, socket_events_ = 0, accepts_ = 0, closes_ = 0, execs_seen_ = 0,
                  exits_ = 0, resyncs_ = 0, iterator_sockets_ = 0,
                  iterator_unowned_ = 0, fd_scans_ = 0;
    std::uint64_t resolved_hits_ = 0, resolved_misses_ = 0, from_exec_ = 0, from_procfs_ = 0, from_parent_ = 0,
                  details_missing_ = 0, cgroup_from_id_ = 0;
};

}  // namespace

std::unique_ptr<EventSource> start_ebpf(const EbpfContext& ctx, std::string& why_not) {
    HostPaths paths;
    why_not = prepare_host(ctx.pin_dir, paths);
    if (!why_not.empty()) return nullptr;
    auto progs = Programs::load(ctx.pin_dir, paths.cgroup2, ctx.ring_buffer, why_not);
    if (!progs) return nullptr;
    for (const auto& note : progs->notes()) SO_WARN("%s", note.c_str());
    if (progs->replaced_old_layout())
        SO_INFO("replaced the programs of sockowner 0.1 under %s/v1 (events they queued are not read)",
                ctx.pin_dir.c_str());
    if (!progs->replaced().empty()) {
        std::string names;
        for (const auto& n : progs->replaced()) names += (names.empty() ? "" : ", ") + n;
        SO_INFO("replaced %zu programs of an older build without a gap: %s", progs->replaced().size(), names.c_str());
    }
    if (progs->reused_links())
        SO_INFO("reusing %d pinned programs under %s; attached %d", progs->reused_links(), ctx.pin_dir.c_str(),
                progs->new_links() + int(progs->replaced().size()));
    SO_INFO("kernel programs: build %s", progs->build_id().c_str());
    auto src = std::make_unique<EbpfSource>(ctx, std::move(progs), paths.cgroup2);
    if (!src->init(why_not)) return nullptr;
    src->drain();  // what happened while no collector ran, in order
    src->resync(wall_now());
    return src;
}

int remove_pins(const std::string& pin_dir, std::string& error) { return ebpf::remove_pins(pin_dir, error); }

}  // namespace sockowner
