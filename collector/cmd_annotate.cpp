#include "capture_annotator.hpp"
#include "capture_reader.hpp"
#include "cli.hpp"
#include "journal_follower.hpp"
#include "paths.hpp"
#include "reader.hpp"
#include "text_escape.hpp"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sockowner::cli {

namespace {
constexpr const char* kHelp =
    "usage: sockowner annotate IN -o OUT [--journal PATH] [--format LIST] [--slack MS] [-q]\n"
    "\n"
    "Copies the capture IN (pcap or pcapng, also compressed with gzip, zstd or lz4; - for\n"
    "standard input) to the pcapng file OUT with each packet's processes written into it,\n"
    "for Wireshark where neither the plugin nor the journal is (another machine, Windows,\n"
    "macOS). Every packet, timestamp, interface and comment is kept; owners are found as\n"
    "the plugin finds them. Added to each packet whose owners the journal knows:\n"
    "\n"
    "  comment  a packet comment naming both ends: 'sockowner: curl 4242 \xe2\x86\x92 python3 17'\n"
    "           then lines 'src.pid: 4242', 'src.name: curl', ... (filter with\n"
    "           frame.comment contains \"curl\"; the plugin reads it back as proc.*)\n"
    "  darwin   Apple's process information for the local process (the sender when a\n"
    "           process sent it, else the receiver): frame.darwin.process_info.pname\n"
    "           in Wireshark 4.6 and later, no plugin needed\n"
    "  pid      the pcapng draft's epb_processid_threadid option (option 8)\n"
    "\n"
    "  -o, --output OUT  the pcapng to write (- for standard output); written to a\n"
    "                    temporary file renamed into place when complete (a device\n"
    "                    or FIFO is written directly)\n"
    "  --format LIST     which of comment,darwin,pid to add (default all three)\n"
    "  --slack MS        how far outside an interval a packet's time may fall (default 1000)\n"
    "  --journal PATH    journal file\n"
    "  -q, --quiet       no summary on standard error\n"
    "\n"
    "IN that is a pipe or a device may be a capture being made (dumpcap -w - | sockowner\n"
    "annotate - -o OUT): when its first packet is from the last minute, the journal is\n"
    "followed as the collector writes it. SIGINT, SIGTERM or SIGHUP: reading a pipe,\n"
    "the first lets the capture end (its program got the same signal) and OUT gets\n"
    "every packet, a second stops at once and OUT gets those read; reading a file, the\n"
    "annotation stops and nothing is left at OUT (exit 128 + the signal's number).\n"
    "\n"
    "Exit status: 0 written, 2 bad arguments, an unreadable journal, or a capture that is\n"
    "not a pcap or pcapng file, is truncated or damaged (nothing is left at OUT).\n";

AnnotateFormats parse_formats(std::string_view list) {
    AnnotateFormats f{false, false, false};
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (item == "comment")
            f.comment = true;
        else if (item == "darwin")
            f.darwin = true;
        else if (item == "pid")
            f.pid = true;
        else
            throw UsageError("annotate: unknown --format '" + std::string(item) + "' (comment, darwin, pid)");
    }
    if (!f.comment && !f.darwin && !f.pid) throw UsageError("annotate: --format needs at least one of comment,darwin,pid");
    return f;
}

// The output: a temporary file next to OUT, renamed onto it once complete, so that a
// damaged input or a full disk never leaves a short capture at OUT. Standard output
// ("-") and anything OUT names that is not a regular file or a directory (/dev/null,
// a FIFO, a terminal) are written directly: renaming onto /dev/null would replace the
// device with a file. OUT that is a symbolic link keeps it: the file it names is the
// one replaced (as editcap writes through it).
class Output {
    // The file a link names, also when it does not exist yet (the link is then made good).
    static std::string link_target(const std::string& link) {
        if (char* real = ::realpath(link.c_str(), nullptr)) {
            std::string t = real;
            std::free(real);
            return t;
        }
        char buf[PATH_MAX];
        ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (n <= 0) return link;
        std::string t(buf, std::size_t(n));
        auto slash = link.rfind('/');
        return t[0] == '/' || slash == std::string::npos ? t : link.substr(0, slash + 1) + t;
    }

public:
    explicit Output(const std::string& path) : path_(path) {
        if (path == "-") {
            fd_ = STDOUT_FILENO;
            return;
        }
        struct stat st{};
        if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
            if (fd_ < 0) throw UsageError("annotate: cannot write " + path + ": " + std::strerror(errno));
            direct_ = true;
            return;
        }
        target_ = path;
        struct stat lst{};
        if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) target_ = link_target(path);
        tmp_ = target_ + ".sockowner-XXXXXX";
        fd_ = mkstemp(tmp_.data());
        if (fd_ < 0) throw UsageError("annotate: cannot write " + path + ": " + std::strerror(errno));
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd_, 0666 & ~mask);
    }
    ~Output() {
        if (direct_) {
            close(fd_);
        } else if (!tmp_.empty() && !done_) {
            close(fd_);
            unlink(tmp_.c_str());
        }
    }
    int fd() const { return fd_; }
    void commit() {
        if (direct_) {
            direct_ = false;
            if (close(fd_) != 0) throw UsageError("annotate: cannot write " + path_ + ": " + std::strerror(errno));
            return;
        }
        if (tmp_.empty()) return;
        done_ = true;
        if (close(fd_) != 0 || rename(tmp_.c_str(), target_.c_str()) != 0) {
            std::string why = std::strerror(errno);
            unlink(tmp_.c_str());
            throw UsageError("annotate: cannot write " + path_ + ": " + why);
        }
    }

private:
    std::string path_, target_, tmp_;  // target_: path_, or the file its link names
    int fd_ = -1;
    bool done_ = false, direct_ = false;
};

// SIGINT, SIGTERM and SIGHUP while annotating: counted, for the annotator's stop
// check. Sent to a worker thread (the writer's, the journal's), a signal is passed on
// to the main thread, so that its read of a quiet pipe is interrupted (EINTR).
volatile std::sig_atomic_t g_signal = 0, g_signals = 0;
pthread_t g_main_thread;

extern "C" void on_stop_signal(int signo) {
    if (!pthread_equal(pthread_self(), g_main_thread)) {
        pthread_kill(g_main_thread, signo);
        return;
    }
    g_signal = signo;
    g_signals = g_signals + 1;
}

class StopSignals {
public:
    StopSignals() {
        g_main_thread = pthread_self();
        struct sigaction sa{};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART: a read waiting on a pipe returns
        for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &old_[i]);
    }
    ~StopSignals() {
        for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &old_[i], nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    static constexpr std::array<int, 3> kSignals{SIGINT, SIGTERM, SIGHUP};
    std::array<struct sigaction, 3> old_{};
};

// Thrown by the stop check: `keep`, OUT gets the packets read so far.
struct Stopped {
    int signo;
    bool keep;
};

bool is_regular_input(const std::string& in_path) {
    struct stat st{};
    const int r = in_path == "-" ? fstat(STDIN_FILENO, &st) : stat(in_path.c_str(), &st);
    return r == 0 && S_ISREG(st.st_mode);
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa, sb;
    return a != "-" && b != "-" && stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
}  // namespace

int cmd_annotate(int argc, char** argv) {
    std::string journal = default_journal_path();
    std::string out_path;
    AnnotateFormats formats;
    attribution::AttributionOptions opt;
    bool quiet = false;
    static const option longopts[] = {
        {"output", required_argument, nullptr, 'o'}, {"journal", required_argument, nullptr, 'j'},
        {"format", required_argument, nullptr, 'f'}, {"slack", required_argument, nullptr, 's'},
        {"quiet", no_argument, nullptr, 'q'},        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:q", longopts, nullptr)) != -1) {
        switch (c) {
            case 'o': out_path = optarg; break;
            case 'j': journal = optarg; break;
            case 'f': formats = parse_formats(optarg); break;
            case 's': {
                auto d = parse_millis(optarg);
                if (!d) throw UsageError(std::string("annotate: bad --slack '") + optarg + "'");
                opt.match.slack = opt.match.grace = *d;
                break;
            }
            case 'q': quiet = true; break;
            case 'h': std::fputs(kHelp, stdout); return kExitOk;
            default: bad_option("annotate", c, argv[optind - 1]);
        }
    }
    if (argc - optind != 1) throw UsageError("annotate: need IN, the capture to read (try 'sockowner annotate --help')");
    if (out_path.empty()) throw UsageError("annotate: need -o OUT, the pcapng to write");
    std::string in_path = argv[optind];
    if (same_file(in_path, out_path)) throw UsageError("annotate: OUT is IN (" + out_path + "): write another file");

    StopSignals signals;  // before OUT's temporary file exists: a signal never leaves it behind
    const bool regular = is_regular_input(in_path);
    { JournalReader probe(journal); }  // the same errors as lookup's for a missing or bad journal
    attribution::JournalFollower follower(journal);
    follower.refresh(0);
    if (!follower.usable()) throw UsageError(follower.error());

    Output out(out_path);
    capture::PcapngWriter writer(out.fd(), out_path);
    follower.read_ahead(true);  // the capture is read in order: the journal's next stretch beside it
    CaptureAnnotator annotator(follower, opt, writer, formats);
    annotator.may_be_live(!regular);
    annotator.on_stop_check([regular] {
        if (g_signals == 0) return;
        // A pipe's first signal: its capture program got it too and ends the stream.
        if (regular || g_signals >= 2) throw Stopped{int(g_signal), !regular};
    });
    bool stopped = false;  // by a pipe's second signal: what was read is a whole capture
    try {
        try {
            capture::read_capture(in_path, annotator);
        } catch (const Stopped& s) {
            if (!s.keep) {
                const char* abbrev = sigabbrev_np(s.signo);
                const std::string name = abbrev ? std::string("SIG") + abbrev : "a signal";
                std::fprintf(stderr, "sockowner: annotate: stopped by %s after %llu packets: nothing written at %s\n",
                             name.c_str(), (unsigned long long)annotator.counts().packets,
                             escape_text(out_path).c_str());
                return 128 + s.signo;  // Output's destructor removes the temporary file
            }
            stopped = true;
        }
        writer.finish();
    } catch (const capture::CaptureError& e) {
        throw UsageError(e.what());
    }
    out.commit();
    if (!follower.error().empty()) throw UsageError(follower.error());
    const AnnotateCounts& n = annotator.counts();
    if (!quiet)
        std::fprintf(stderr, "sockowner: %llu packets, %llu with an owner (%llu with both ends)%s%s%s\n",
                     (unsigned long long)n.packets, (unsigned long long)n.annotated, (unsigned long long)n.both,
                     n.skipped ? ", some simple packet blocks copied without (they have no time)" : "",
                     n.live ? "; a live capture: the journal followed" : "",
                     stopped ? "; stopped by a second signal before the capture ended" : "");
    return kExitOk;
}

}  // namespace sockowner::cli
