#include "capture_annotator.hpp"
#include "capture_reader.hpp"
#include "cli.hpp"
#include "journal_follower.hpp"
#include "paths.hpp"
#include "reader.hpp"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
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

    { JournalReader probe(journal); }  // the same errors as lookup's for a missing or bad journal
    attribution::JournalFollower follower(journal);
    follower.refresh(0);
    if (!follower.usable()) throw UsageError(follower.error());

    Output out(out_path);
    capture::PcapngWriter writer(out.fd(), out_path);
    follower.read_ahead(true);  // the capture is read in order: the journal's next stretch beside it
    CaptureAnnotator annotator(follower, opt, writer, formats);
    try {
        capture::read_capture(in_path, annotator);
        writer.finish();
    } catch (const capture::CaptureError& e) {
        throw UsageError(e.what());
    }
    out.commit();
    if (!follower.error().empty()) throw UsageError(follower.error());
    const AnnotateCounts& n = annotator.counts();
    if (!quiet)
        std::fprintf(stderr, "sockowner: %llu packets, %llu with an owner (%llu with both ends)%s\n",
                     (unsigned long long)n.packets, (unsigned long long)n.annotated, (unsigned long long)n.both,
                     n.skipped ? ", some simple packet blocks copied without (they have no time)" : "");
    return kExitOk;
}

}  // namespace sockowner::cli
