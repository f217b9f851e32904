#include "collector.hpp"

#include "ebpf_source.hpp"
#include "log.hpp"
#include "ownership_table.hpp"
#include "process_cache.hpp"
#include "procfs_parse.hpp"
#include "procfs_source.hpp"
#include "timeutil.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace sockowner {

namespace {

constexpr TimeNs kCounterInterval = kNsPerSec;
constexpr TimeNs kRetentionInterval = 60 * kNsPerSec;
constexpr TimeNs kRetryInterval = kNsPerSec;
// Kernel events are read in batches: once the ring buffer has been read, the next
// read waits this long (under load the journal is committed every 50 ms anyway), so
// that a storm of connections wakes the collector a hundred times a second rather than
// once per event. An event after a quiet spell is still read at once.
constexpr TimeNs kEventBatch = 10 * kNsPerMs;

class SignalFd {
public:
    SignalFd() {
        sigemptyset(&set_);
        for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
        sigprocmask(SIG_BLOCK, &set_, &old_);
        fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
    }
    ~SignalFd() {
        if (fd_ >= 0) ::close(fd_);
        sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    int fd() const { return fd_; }
    int take() {
        signalfd_siginfo si{};
        return ::read(fd_, &si, sizeof si) == ssize_t(sizeof si) ? int(si.ssi_signo) : 0;
    }

private:
    sigset_t set_{}, old_{};
    int fd_ = -1;
};

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    static FileId of(const std::string& path) {
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0) return {};
        return {st.st_dev, st.st_ino};
    }
    friend bool operator==(const FileId&, const FileId&) = default;
};

// One collector run: a source feeding the ownership table, the table feeding the
// journal. Every journal write, the reopen after a rotation included, follows one
// policy: a failure (disk full, a locked file) is said once, nothing queued is
// dropped, and the write is retried every second.
class Collector {
public:
    explicit Collector(const CollectOptions& opt)
        : opt_(opt), writer_(std::make_unique<JournalWriter>(opt.journal, opt.writer)),
          opened_(FileId::of(opt.journal)), proc_(opt.proc_root),
          cache_(proc_, boot_to_wall_offset(), opt.with_cmdline), table_(*writer_) {
        table_.offer_adoption(writer_->take_open_intervals());
    }

    bool start();
    int run();

private:
    void publish_counters(TimeNs now);
    void report_losses_while_down();
    void maintain(TimeNs now);
    // Runs a journal write under the policy above.
    template <class F>
    void write(F&& f);
    void on_sighup();
    // Opens the journal again at its path (after a rotation); the old file gets its
    // intervals closed and keeps what it has queued until that is written.
    void reopen(TimeNs now);
    void retire_old(TimeNs now);
    int finish();

    const CollectOptions& opt_;
    std::unique_ptr<JournalWriter> writer_;
    std::vector<std::unique_ptr<JournalWriter>> retiring_;  // rotated files with unwritten operations
    FileId opened_;
    procfs::Reader proc_;
    ProcessCache cache_;
    OwnershipTable table_;
    SignalFd signals_;
    std::unique_ptr<EventSource> source_;
    std::string mode_ = "procfs", reason_;
    TimeNs next_counters_ = 0, next_retention_ = 0, reopen_at_ = 0, retire_at_ = 0;
    TimeNs next_event_read_ = 0;  // monotonic: the ring buffer is read again from then (kEventBatch)
    bool failing_ = false, reopen_failing_ = false;
};

bool Collector::start() {
    if (opt_.mode != CollectMode::procfs) {
        source_ = start_ebpf(EbpfContext{table_, cache_, proc_, opt_.pin_dir, opt_.ring_buffer}, reason_);
        if (source_) {
            mode_ = "ebpf";
        } else if (opt_.mode == CollectMode::ebpf) {
            SO_ERROR("--mode ebpf: eBPF unavailable: %s", reason_.c_str());
            return false;
        }
    } else {
        reason_ = "--mode procfs";
    }
    if (!source_) {
        auto p = std::make_unique<ProcfsSource>(proc_, cache_, table_, opt_.poll_interval);
        p->poll(wall_now());
        if (p->stats().hidden_processes > 0) {
            std::string hidden = "cannot see the sockets of " + std::to_string(p->stats().hidden_processes) +
                                 " processes of other users (not root)";
            SO_WARN("%s", hidden.c_str());
            reason_ += "; " + hidden;
        }
        source_ = std::move(p);
    }
    std::size_t ended = table_.close_unadopted(wall_now());
    if (table_.adopted_total() || ended)
        SO_DEBUG("continued %llu intervals of the previous run, ended %zu", (unsigned long long)table_.adopted_total(),
                 ended);
    report_losses_while_down();
    writer_->set_build_note(source_->kernel_build());
    writer_->begin_run(mode_, reason_);
    if (reason_.empty())
        SO_INFO("mode: %s; journal %s", mode_.c_str(), opt_.journal.c_str());
    else
        SO_INFO("mode: %s (%s); journal %s", mode_.c_str(), reason_.c_str(), opt_.journal.c_str());
    return true;
}

// The kernel programs outlive collectors and queue events while none runs; what did not
// fit was lost. Said at start, with since when, and counted for this run.
void Collector::report_losses_while_down() {
    auto total = source_->kernel_lost_total();
    if (!total) return;
    auto before = writer_->last_run_counter("ebpf.lost_total");
    if (!before) before = writer_->last_run_counter("ebpf.lost");  // 0.1 recorded the total there
    std::uint64_t base = before && *before >= 0 && std::uint64_t(*before) <= *total ? std::uint64_t(*before) : 0;
    std::uint64_t lost = *total - base;
    writer_->set_counter("ebpf.lost_while_down", std::int64_t(lost));
    if (lost == 0) return;
    auto since = writer_->last_run_stop();
    SO_WARN("%llu events were lost while no collector ran (since %s; the ring buffer was full): sockets that "
            "opened and closed then are not in the journal; those still open were found by the resync",
            (unsigned long long)lost, since ? format_time(*since).c_str() : "the programs were loaded");
}

template <class F>
void Collector::write(F&& f) {
    try {
        f();
        if (failing_) SO_INFO("journal %s written again", opt_.journal.c_str());
        failing_ = false;
    } catch (const JournalError& e) {
        if (!failing_) SO_WARN("%s: keeping %zu operations in memory and retrying", e.what(), writer_->pending());
        failing_ = true;
    }
}

void Collector::publish_counters(TimeNs now) {
    source_->report(*writer_);
    writer_->set_counter("sockets.live", std::int64_t(table_.size()));
    writer_->set_counter("sockets.opened", std::int64_t(table_.opened_total()));
    writer_->set_counter("sockets.adopted", std::int64_t(table_.adopted_total()));
    writer_->set_counter("journal.rows", writer_->rows_written());
    writer_->set_counter("journal.failed_flushes", writer_->failed_flushes());
    writer_->set_counter("journal.dropped", writer_->dropped());
    writer_->set_counter("journal.reopen_pending", reopen_failing_ ? 1 : 0);
    next_counters_ = now + kCounterInterval;
    if (writer_->pending() == 0) write([&] { writer_->flush(); });  // counters alone
}

void Collector::maintain(TimeNs now) {
    if (now >= source_->next_tick()) source_->tick(now);
    if (now >= next_counters_) publish_counters(now);
    if (now >= writer_->flush_deadline()) write([&] { writer_->flush(); });
    if (now >= next_retention_) {
        write([&] {
            if (auto removed = writer_->apply_retention(now)) SO_DEBUG("retention removed %lld rows", (long long)removed);
            writer_->set_counter("journal.bytes", writer_->file_size());
        });
        // A journal far over its limits is cut step by step, events read in between.
        next_retention_ = now + (!failing_ && writer_->retention_unfinished() ? 0 : kRetentionInterval);
    }
    if (reopen_failing_ && now >= reopen_at_) reopen(now);
    if (!retiring_.empty() && now >= retire_at_) retire_old(now);
}

void Collector::on_sighup() {
    if (!reopen_failing_ && FileId::of(opt_.journal) == opened_) {
        SO_INFO("SIGHUP: journal %s unchanged", opt_.journal.c_str());
        return;
    }
    SO_INFO("SIGHUP: reopening journal %s", opt_.journal.c_str());
    reopen(wall_now());
}

void Collector::reopen(TimeNs now) {
    // The moved file gets its -wal and -shm (if they were left behind) and, as far as
    // it can now, everything written so far: complete before the new file exists.
    std::string moved_to = writer_->follow_rotation();
    try {
        writer_->flush();
        writer_->checkpoint();
    } catch (const JournalError&) {
        // Kept queued; written to the moved file when it can be (retire_old).
    }
    std::unique_ptr<JournalWriter> fresh;
    try {
        fresh = std::make_unique<JournalWriter>(opt_.journal, opt_.writer, writer_.get());
        fresh->set_build_note(source_->kernel_build());
        fresh->begin_run(mode_, reason_);
    } catch (const JournalError& e) {
        if (!reopen_failing_) SO_WARN("%s: still writing the old journal file; retrying every second", e.what());
        reopen_failing_ = true;
        reopen_at_ = now + kRetryInterval;
        return;
    }
    if (reopen_failing_) SO_INFO("journal %s reopened", opt_.journal.c_str());
    reopen_failing_ = false;
    opened_ = FileId::of(opt_.journal);
    table_.close_all(now);  // queued in the old file
    table_.reopen_in(*fresh);
    source_->report(*writer_);
    retiring_.push_back(std::move(writer_));
    writer_ = std::move(fresh);
    retire_old(now);
}

void Collector::retire_old(TimeNs now) {
    for (auto it = retiring_.begin(); it != retiring_.end();) {
        try {
            (*it)->close();  // flushes and ends its run
            std::string where = (*it)->current_path();
            it = retiring_.erase(it);  // its connection closed (persistent WAL: no file touched by name)
            if (!where.empty()) JournalWriter::make_self_contained(where);
        } catch (const JournalError& e) {
            SO_DEBUG("%s: %zu operations for the old journal file wait", e.what(), (*it)->pending());
            ++it;
        }
    }
    retire_at_ = now + kRetryInterval;
}

int Collector::run() {
    for (;;) {
        maintain(wall_now());
        TimeNs deadline = std::min({source_->next_tick(), writer_->flush_deadline(), next_counters_, next_retention_});
        if (reopen_failing_) deadline = std::min(deadline, reopen_at_);
        if (!retiring_.empty()) deadline = std::min(deadline, retire_at_);
        TimeNs timeout = deadline - wall_now();
        const bool has_events = source_->wait_fd() >= 0;
        const TimeNs batch_left = next_event_read_ - monotonic_now();
        const bool read_events = has_events && batch_left <= 0;
        if (has_events && !read_events) timeout = std::min(timeout, batch_left);
        int timeout_ms = int(std::clamp<TimeNs>((timeout + kNsPerMs - 1) / kNsPerMs, 0, 1000));
        pollfd fds[2] = {{signals_.fd(), POLLIN, 0}, {source_->wait_fd(), POLLIN, 0}};
        int n = ::poll(fds, read_events ? 2 : 1, timeout_ms);
        if (n < 0 && errno != EINTR) {
            SO_ERROR("poll: %s", strerror(errno));
            break;
        }
        if (read_events && (fds[1].revents & POLLIN)) {
            source_->on_readable();
            next_event_read_ = monotonic_now() + kEventBatch;
        }
        if (fds[0].revents & POLLIN) {
            int sig = signals_.take();
            if (sig == SIGHUP) {
                on_sighup();
            } else if (sig) {
                SO_INFO("signal %d: flushing and closing the journal", sig);
                break;
            }
        }
    }
    return finish();
}

int Collector::finish() {
    if (source_->wait_fd() >= 0) source_->on_readable();  // the events of the last batch
    source_->report(*writer_);
    std::size_t lost = 0;
    try {
        writer_->close();
    } catch (const JournalError& e) {
        SO_ERROR("%s: %zu operations not written", e.what(), writer_->pending());
        lost += writer_->pending();
    }
    retire_old(wall_now());
    for (auto& old : retiring_) lost += old->pending();
    if (!retiring_.empty()) SO_ERROR("%zu operations for rotated journal files not written", lost);
    // By design (a restart misses nothing), but a stop that leaves programs in the
    // kernel should say so: they cost every send and receive until detached.
    if (!source_->kernel_build().empty()) {
        std::string cleanup = "sockowner cleanup";
        if (opt_.pin_dir != CollectOptions{}.pin_dir) cleanup += " --pin-dir " + opt_.pin_dir;
        SO_INFO("kernel programs stay attached (%s), queueing events for the next start; '%s' detaches them",
                opt_.pin_dir.c_str(), cleanup.c_str());
    }
    return lost ? 1 : 0;
}

}  // namespace

// Command lines can hold secrets, and the journal's group reads them: where /proc
// hides other users' processes (hidepid), that group could not read them there, so
// they are not recorded unless asked for (--cmdline).
CollectOptions cmdline_policy(CollectOptions opt) {
    std::string mounts;
    if (FILE* f = std::fopen("/proc/self/mounts", "re")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) mounts.append(buf, n);
        std::fclose(f);
    }
    if (opt.with_cmdline && !opt.cmdline_forced && procfs::proc_hides_other_users(mounts, opt.proc_root)) {
        SO_WARN("%s hides other users' processes (hidepid): command lines are not recorded, since readers of the "
                "journal could not see them there (--cmdline records them anyway)",
                opt.proc_root.c_str());
        opt.with_cmdline = false;
    }
    return opt;
}

int run_collector(const CollectOptions& options) {
    CollectOptions opt = cmdline_policy(options);
    Collector c(opt);
    if (!c.start()) return 1;
    return c.run();
}

}  // namespace sockowner
