#include "collector.hpp"

#include "ebpf_source.hpp"
#include "log.hpp"
#include "ownership_table.hpp"
#include "process_cache.hpp"
#include "procfs_source.hpp"
#include "timeutil.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace sockowner {

namespace {

constexpr TimeNs kCounterInterval = kNsPerSec;
constexpr TimeNs kRetentionInterval = 60 * kNsPerSec;

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

}  // namespace

int run_collector(const CollectOptions& opt) {
    auto writer = std::make_unique<JournalWriter>(opt.journal, opt.writer);
    struct stat opened_file{};
    ::stat(opt.journal.c_str(), &opened_file);

    procfs::Reader proc(opt.proc_root);
    ProcessCache cache(proc, boot_to_wall_offset(), opt.with_cmdline);
    OwnershipTable table(*writer);
    table.offer_adoption(writer->take_open_intervals());
    SignalFd signals;

    std::unique_ptr<EventSource> source;
    std::string mode = "procfs", reason;
    if (opt.mode != CollectMode::procfs) {
        source = start_ebpf(EbpfContext{table, cache, proc, opt.pin_dir, opt.ring_buffer}, reason);
        if (source) {
            mode = "ebpf";
        } else if (opt.mode == CollectMode::ebpf) {
            SO_ERROR("--mode ebpf: eBPF unavailable: %s", reason.c_str());
            return 1;
        }
    } else {
        reason = "--mode procfs";
    }
    if (!source) {
        auto p = std::make_unique<ProcfsSource>(proc, cache, table, opt.poll_interval);
        p->poll(wall_now());
        if (p->stats().hidden_processes > 0) {
            std::string hidden = "cannot see the sockets of " + std::to_string(p->stats().hidden_processes) +
                                 " processes of other users (not root)";
            SO_WARN("%s", hidden.c_str());
            reason += "; " + hidden;
        }
        source = std::move(p);
    }
    table.close_unadopted(wall_now());
    writer->begin_run(mode, reason);
    if (reason.empty())
        SO_INFO("mode: %s; journal %s", mode.c_str(), opt.journal.c_str());
    else
        SO_INFO("mode: %s (%s); journal %s", mode.c_str(), reason.c_str(), opt.journal.c_str());

    TimeNs next_counters = 0, next_retention = 0;
    // A journal that cannot be written for a while (disk full) does not stop the
    // collector: the writer keeps what is queued and retries; say so once, and when
    // it recovers.
    bool failing = false;
    auto journal_write = [&](auto&& write) {
        try {
            write();
            if (failing) SO_INFO("journal %s written again", opt.journal.c_str());
            failing = false;
        } catch (const JournalError& e) {
            if (!failing)
                SO_WARN("%s: keeping %zu operations in memory and retrying", e.what(), writer->pending());
            failing = true;
        }
    };
    for (;;) {
        TimeNs now = wall_now();
        if (now >= source->next_tick()) source->tick(now);
        if (now >= next_counters) {
            source->report(*writer);
            writer->set_counter("sockets.live", std::int64_t(table.size()));
            writer->set_counter("sockets.opened", std::int64_t(table.opened_total()));
            writer->set_counter("journal.rows", writer->rows_written());
            writer->set_counter("journal.failed_flushes", writer->failed_flushes());
            writer->set_counter("journal.dropped", writer->dropped());
            next_counters = now + kCounterInterval;
            if (writer->pending() == 0) journal_write([&] { writer->flush(); });  // counters alone
        }
        if (now >= writer->flush_deadline()) journal_write([&] { writer->flush(); });
        if (now >= next_retention) {
            journal_write([&] {
                if (auto removed = writer->apply_retention(now))
                    SO_DEBUG("retention removed %lld rows", (long long)removed);
                writer->set_counter("journal.bytes", writer->file_size());
            });
            next_retention = now + kRetentionInterval;
        }

        TimeNs deadline = std::min({source->next_tick(), writer->flush_deadline(), next_counters});
        int timeout_ms = int(std::clamp<TimeNs>((deadline - wall_now() + kNsPerMs - 1) / kNsPerMs, 0, 1000));
        pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {source->wait_fd(), POLLIN, 0}};
        int n = ::poll(fds, source->wait_fd() >= 0 ? 2 : 1, timeout_ms);
        if (n < 0 && errno != EINTR) {
            SO_ERROR("poll: %s", strerror(errno));
            break;
        }
        if (fds[1].revents & POLLIN) source->on_readable();
        if (fds[0].revents & POLLIN) {
            int sig = signals.take();
            if (sig == SIGHUP) {
                struct stat now_file{};
                bool moved = ::stat(opt.journal.c_str(), &now_file) != 0 || now_file.st_ino != opened_file.st_ino ||
                             now_file.st_dev != opened_file.st_dev;
                if (!moved) {
                    SO_INFO("SIGHUP: journal %s unchanged", opt.journal.c_str());
                    continue;
                }
                SO_INFO("SIGHUP: reopening journal %s", opt.journal.c_str());
                TimeNs t = wall_now();
                table.close_all(t);
                writer.reset();  // flushes, ends the run in the old file
                writer = std::make_unique<JournalWriter>(opt.journal, opt.writer);
                ::stat(opt.journal.c_str(), &opened_file);
                writer->begin_run(mode, reason);
                table.reopen_in(*writer);
            } else if (sig) {
                SO_INFO("signal %d: flushing and closing the journal", sig);
                break;
            }
        }
    }
    source->report(*writer);
    try {
        writer->close();
    } catch (const JournalError& e) {
        SO_ERROR("%s: %zu operations not written", e.what(), writer->pending());
        return 1;
    }
    return 0;
}

}  // namespace sockowner
