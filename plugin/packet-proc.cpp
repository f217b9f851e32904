// The "proc" postdissector: for every TCP, UDP and ICMP packet over IP, the processes
// that sent and received it, from the sockowner journal.
//
// First pass: the frame's tuple (packet_headers), the per-side rules (side_plan) and
// the journal (attribution) give both owners, stored by frame number. Later passes
// (the GUI re-dissects constantly) only display what was stored, with labels rendered
// once per process (owner_labels).
#define WS_LOG_DOMAIN "proc"

#include "ws_compat.h"

#include <epan/column-utils.h>
#include <epan/epan.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tap.h>
#include <wiretap/wtap.h>
#include <wiretap/wtap_opttypes.h>

#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attribution.hpp"
#include "frame_records.hpp"
#include "journal_follower.hpp"
#include "live_capture.hpp"
#include "owner_comment.hpp"
#include "owner_labels.hpp"
#include "packet-proc.hpp"
#include "packet_headers.hpp"
#include "paths.hpp"
#include "proc_fields.hpp"
#include "side_plan.hpp"
#include "timeutil.hpp"

using namespace sockowner;
using namespace sockowner::attribution;
using namespace sockowner::plugin;

namespace {

constexpr TimeNs kNsPerMs = 1'000'000;
// Whether the journal is due for a re-read (kJournalRefreshInterval; a clock read) is
// asked once per this many of a file's packets, and for each of a live capture's.
constexpr unsigned kPacketsPerRequeryCheck = 64;

int proto_proc = -1;
int proc_tap = -1;

expert_field ei_proc_journal_unavailable = EI_INIT;

// Preferences.
const char* pref_journal = "";
guint pref_time_slack_ms = 1000;
proc_pref_bool pref_info_column = PROC_PREF_TRUE;

// What the first pass found for one end of a frame: how the owner was found, its
// labels (which name its process) and how the collector learnt of its socket. Nothing
// here refers to the journal's rows: a rotation or another journal leaves it as it is.
struct FrameSide {
    OwnerLabelCache::Handle labels = 0;
    How how = How::unknown;
    const char* source = nullptr;  // "ebpf", ...: OwnerLabelCache::source_name()

    bool known() const { return how != How::unknown; }
    bool is_kernel() const { return how == How::kernel; }
    friend bool operator==(const FrameSide&, const FrameSide&) = default;
};

// What the first pass found for a frame.
struct FrameRecord {
    enum class State : std::uint8_t {
        none,      // not attributed (yet, or nothing to attribute)
        unusable,  // the journal could not be read
        owners,
    };
    FrameSide src, dst;
    FrameSide either;  // a capture's annotation naming a process at one end or the other (ptcpdump)
    State state = State::none;
    friend bool operator==(const FrameRecord&, const FrameRecord&) = default;
};
struct FrameRecordHash {
    std::size_t operator()(const FrameRecord& r) const {
        std::size_t h = std::size_t(r.state);
        for (const FrameSide* s : {&r.src, &r.dst, &r.either})
            h = h * 0x9E3779B97F4A7C15ull ^ (std::size_t(s->labels) << 8 | std::size_t(s->how)) ^
                std::hash<const char*>{}(s->source);
        return h;
    }
};

// The plugin's state: the journal (and the labels rendered from it) stays loaded across
// capture files while its path does not change; frames, flows, waits and the
// live-capture check are per file.
struct ProcState {
    std::string path;
    std::unique_ptr<JournalFollower> journal;
    std::unique_ptr<Attributor> attributor;
    std::unique_ptr<OwnerLabelCache> labels;  // frames keep handles: cleared with them
    FrameRecords<FrameRecord, FrameRecordHash> frames;
    // A file's flows' last owners and the records they made, each way (as the flow's
    // key orders its ends, and reversed; kNoRecord: none yet): most packets take them.
    struct Recent {
        static constexpr std::uint32_t kNoRecord = UINT32_MAX;
        Repeat repeat;
        std::uint32_t record[2] = {kNoRecord, kNoRecord};
    };
    FlowMemo<Recent> recent;
    int live = -1;  // -1: not checked yet for this file
    unsigned unchecked = 0;  // packets since the journal was last checked for new rows
    std::string reported;  // the last journal error printed on the console
    bool load_reported = false;
};
// Never destroyed: freeing a large index at exit would only cost time.
ProcState& state = *new ProcState();

std::string journal_path_pref() {
    if (pref_journal && *pref_journal) return pref_journal;
    return default_journal_path();
}

// $SOCKOWNER_JOURNAL, else the user's own journal when it exists, else the one a
// collector running as root writes.
std::string default_journal_pref() {
    std::string own = default_journal_path();
    if (std::getenv("SOCKOWNER_JOURNAL") || access(own.c_str(), F_OK) == 0) return own;
    std::string system = system_journal_path();
    return access(system.c_str(), F_OK) == 0 ? system : own;
}

AttributionOptions attribution_options() {
    AttributionOptions opt;
    opt.match.slack = opt.match.grace = TimeNs(pref_time_slack_ms) * kNsPerMs;
    return opt;
}

void apply_prefs() {
    std::string path = journal_path_pref();
    if (!state.journal || path != state.path) {
        state.attributor.reset();
        state.recent.clear();
        state.journal = std::make_unique<JournalFollower>(path);
        if (state.labels) state.labels->rebind(*state.journal);
        state.path = path;
        state.reported.clear();
        state.load_reported = false;
    }
    if (!state.attributor)
        state.attributor = std::make_unique<Attributor>(*state.journal, attribution_options());
    else
        state.attributor->set_options(attribution_options());
    if (!state.labels) state.labels = std::make_unique<OwnerLabelCache>(*state.journal);
}

// Prints the journal's problem once (until it changes or goes away), and how long
// the first read took (--log-level info).
void report_journal() {
    if (!state.load_reported && state.journal->reads() > 0) {
        state.load_reported = true;
        if (state.journal->windowed())
            ws_info("%s: read by time (the intervals around the packets' times), opened in %.1f ms",
                    state.path.c_str(), double(state.journal->load_time()) / 1e6);
        else
            ws_info("%s: %zu sockets read in %.1f ms", state.path.c_str(), state.journal->index().size(),
                    double(state.journal->load_time()) / 1e6);
    }
    const std::string& error = state.journal->error();
    if (error == state.reported) return;
    state.reported = error;
    if (error.empty()) return;
    if (state.journal->usable())
        ws_warning("%s; showing the rows read before", error.c_str());
    else
        ws_warning("%s; no process fields (proc.*) for this capture but those its packet comments give", error.c_str());
}

IpAddr to_ip(const address& a) {
    if (a.type == AT_IPv4) {
        std::uint32_t v;
        std::memcpy(&v, a.data, 4);
        return IpAddr::v4(v);
    }
    return IpAddr::v6(static_cast<const std::uint8_t*>(a.data));
}

TimeNs packet_time(const packet_info* pinfo) {
    // A capture's clock may be anything (pcapng's if_tsoffset, if_tsresol): held
    // within what the journal's times can be.
    constexpr time_t kLimitSecs = time_t(kTimeLimit / kNsPerSec);
    time_t secs = std::clamp<time_t>(pinfo->abs_ts.secs, -kLimitSecs, kLimitSecs);
    return clamp_time(TimeNs(secs) * kNsPerSec + pinfo->abs_ts.nsecs);
}

FrameSide make_frame_side(const SideOwner& o) {
    FrameSide f{state.labels->handle(o), o.how, nullptr};
    // A flow's owner remembered from a journal no longer read: its socket row is gone.
    if (o.is_process() && (o.journal == 0 || o.journal == state.journal->epoch()))
        f.source = state.labels->source_name(state.journal->source(o.source));
    return f;
}

// The FrameSide of each owner seen lately: a flow's packets name the same owners
// again and again (a label lookup and a source lookup each otherwise). Holds while the
// labels do (cleared with them) and the journal read is the same (its epoch).
class FrameSideMemo {
public:
    FrameSide get(const SideOwner& o) {
        if (std::uint64_t epoch = state.journal->epoch(); epoch != epoch_) {
            clear();
            epoch_ = epoch;
        }
        std::uint64_t key = std::uint64_t(o.socket_id) ^ std::uint64_t(o.process_id) << 20;
        Slot& s = slots_[std::size_t(key * 0x9E3779B97F4A7C15ull >> 56)];  // the top 8 bits: 256 slots
        if (!s.used || !(s.owner == o)) s = Slot{o, make_frame_side(o), true};
        return s.side;
    }
    void clear() { slots_.fill(Slot{}); }

private:
    struct Slot {
        SideOwner owner;
        FrameSide side;
        bool used = false;
    };
    std::array<Slot, 256> slots_{};
    std::uint64_t epoch_ = 0;
};
FrameSideMemo& frame_sides = *new FrameSideMemo();

FrameSide frame_side(const SideOwner& o) { return frame_sides.get(o); }

// The owners the packet's comments name (sockowner annotate's, ptcpdump's), as the
// capture has them or as the user edited them in the GUI.
std::optional<CommentOwners> capture_annotations(packet_info* pinfo) {
    wtap_block_t block = pinfo->fd->has_modified_block ? epan_get_modified_block(pinfo->epan, pinfo->fd)
                         : pinfo->rec                  ? pinfo->rec->block
                                                       : nullptr;
    if (!block) return std::nullopt;
    constexpr guint kMaxComments = 16;  // ptcpdump writes up to 6; a hostile file, any number
    std::string_view comments[kMaxComments];
    guint n = 0;
    for (guint i = 0, count = wtap_block_count_option(block, OPT_COMMENT); i < count && n < kMaxComments; ++i) {
        char* text = nullptr;
        if (wtap_block_get_nth_string_option_value(block, OPT_COMMENT, i, &text) == WTAP_OPTTYPE_SUCCESS && text)
            comments[n++] = text;
    }
    if (n == 0) return std::nullopt;
    Direction direction = Direction::unknown;
    guint32 flags = 0;
    if (wtap_block_get_uint32_option_value(block, OPT_PKT_FLAGS, &flags) == WTAP_OPTTYPE_SUCCESS) {
        if (PACK_FLAGS_DIRECTION(flags) == PACK_FLAGS_DIRECTION_INBOUND) direction = Direction::inbound;
        if (PACK_FLAGS_DIRECTION(flags) == PACK_FLAGS_DIRECTION_OUTBOUND) direction = Direction::outbound;
    }
    return read_annotations(std::span<const std::string_view>(comments, n), direction);
}

FrameSide annotated_side(const CommentSide& s) {
    if (s.how == How::kernel) return {state.labels->handle(SideOwner{How::kernel, 0, 0}), How::kernel, nullptr};
    if (!s.process) return {};
    return {state.labels->annotated(*s.process), s.how, state.labels->source_name(s.source)};
}

// The owners the packet's comments name, into r; false when they name none.
bool from_annotations(packet_info* pinfo, FrameRecord& r) {
    auto a = capture_annotations(pinfo);
    if (!a) return false;
    r.state = FrameRecord::State::owners;
    r.src = annotated_side(a->src);
    r.dst = annotated_side(a->dst);
    if (a->either)
        r.either = {state.labels->annotated(*a->either), How::annotation, state.labels->source_name("ptcpdump")};
    return true;
}

// Frame `num`'s record: its flow's last one that way (`reversed` from the flow key's
// order), made from the other way's, ends swapped, the first time.
const FrameRecord& store_recent(std::uint32_t num, ProcState::Recent& recent, bool reversed) {
    std::uint32_t& id = recent.record[reversed];
    if (id != ProcState::Recent::kNoRecord) return state.frames.store_again(num, id);
    FrameRecord r = state.frames.record(recent.record[!reversed]);
    std::swap(r.src, r.dst);
    return state.frames.store(num, r, &id);
}

const FrameRecord* first_pass(tvbuff_t* tvb, packet_info* pinfo) {
    guint len = tvb_captured_length(tvb);
    const guint8* bytes = len ? tvb_get_ptr(tvb, 0, len) : nullptr;  // within bounds: cannot throw
    try {
        PinfoTuple p{to_ip(pinfo->src), to_ip(pinfo->dst), std::nullopt, std::uint16_t(pinfo->srcport),
                     std::uint16_t(pinfo->destport)};
        if (pinfo->ptype == PT_TCP) p.ported = Proto::tcp;
        if (pinfo->ptype == PT_UDP) p.ported = Proto::udp;
        auto tuple = packet_tuple({bytes, len}, p);
        if (!tuple) return nullptr;

        FrameRecord r;
        if (state.live != 0 || ++state.unchecked >= kPacketsPerRequeryCheck) {
            state.unchecked = 0;
            state.journal->refresh(kJournalRefreshInterval);
        }
        report_journal();
        if (!state.journal->usable()) {
            // No journal here (a copy on another machine): the capture may say itself.
            if (!from_annotations(pinfo, r)) r.state = FrameRecord::State::unusable;
        } else {
            r.state = FrameRecord::State::owners;
            TimeNs at = packet_time(pinfo);
            if (state.live < 0) {
                state.live = has_dumpcap_child("/proc", getpid()) ? 1 : 0;
                proc_debug("%s: following the journal for a %s", state.path.c_str(),
                         state.live ? "live capture" : "capture file");
                // A file is read in time order (mostly): the journal's next stretch of
                // time read beside it, on another thread.
                state.journal->read_ahead(!state.live);
            }
            // A file's packet of a flow seen lately: its last owners, when they hold.
            const bool repeats = !state.live && plain_lookups(*tuple);
            FlowKey flow;
            if (repeats) {
                flow = FlowKey::of(tuple->own.proto, tuple->own.src, tuple->own.dst);
                if (auto* last = state.recent.find(flow.key))
                    if (state.attributor->again(last->repeat, at))
                        return &store_recent(pinfo->num, *last, flow.reversed);
            }
            PacketPlan plan = plan_sides(*tuple, at);
            FrameOwners owners;
            Repeat repeat;
            if (state.live) {
                SystemWaiter waiter;
                owners = state.attributor->attribute_live(plan, waiter);
            } else {
                owners = state.attributor->attribute(plan, &repeat);
            }
            r.src = frame_side(owners.src);
            r.dst = frame_side(owners.dst);
            // Neither end known here (another host's capture, annotated there): its comments.
            if (!r.src.known() && !r.dst.known()) {
                from_annotations(pinfo, r);
            } else if (repeats && repeat.usable()) {
                std::uint32_t record = 0;
                const FrameRecord& stored = state.frames.store(pinfo->num, r, &record);
                ProcState::Recent recent{repeat.turned(flow.reversed)};
                recent.record[flow.reversed] = record;
                state.recent.put(flow.key, recent);
                return &stored;
            }
        }
        return &state.frames.store(pinfo->num, r);
    } catch (const std::exception& e) {
        // Out of memory, most likely: leave this frame without process fields.
        ws_warning("frame %u: %s", pinfo->num, e.what());
        return nullptr;
    }
}

// col_append_lstr finds the column's end with strlen, where col_append_str's g_strlcat
// walks the Info text byte by byte (4.0).
void append_either_tag(column_info* cinfo, const OwnerLabels& l) {
    col_append_lstr(cinfo, COL_INFO, " [", l.info.c_str(), "]", COL_ADD_LSTR_TERMINATOR);
}

// "curl" and its pid, "[kernel]", nullptr: the name in the packet's pool, since the
// cached labels may be rendered again before the tap listeners are done with them.
proc_tap_side tap_side(wmem_allocator_t* pool, const OwnerLabels& l) {
    return {l.name ? wmem_strdup(pool, l.name) : nullptr, l.row ? uint32_t(l.row->p.pid) : 0};
}

int dissect_proc(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void*) {
    if ((pinfo->src.type != AT_IPv4 && pinfo->src.type != AT_IPv6) || pinfo->dst.type != pinfo->src.type) return 0;
    const FrameRecord* rec = state.frames.find(pinfo->num);
    if (!rec) {
        if (PINFO_FD_VISITED(pinfo)) return 0;  // the first pass found nothing to attribute
        rec = first_pass(tvb, pinfo);
        if (!rec) return 0;
    }

    // (Also where nothing of it is wanted: where protocols are not faked, the Protocol
    // Hierarchy counts the frames that have it.)
    proto_item* ti = tree ? proto_tree_add_item(tree, proto_proc, tvb, 0, 0, ENC_NA) : nullptr;  // none without a tree
    if (rec->state == FrameRecord::State::unusable) {
        const std::string& error = state.journal->error();
        expert_add_info_format(pinfo, ti, &ei_proc_journal_unavailable, "Process journal unavailable: %s",
                               error.empty() ? state.journal->path().c_str() : error.c_str());
        return tvb_captured_length(tvb);
    }
    Items items = items_wanted(tree, proto_proc);
    bool add_fields = items != Items::none;
    bool info_tag = pref_info_column && pinfo->cinfo && (rec->src.known() || rec->dst.known() || rec->either.known());
    bool tapped = have_tap_listener(proc_tap);
    if (!add_fields && !info_tag && !tapped) return tvb_captured_length(tvb);
    if (info_tag) {
        if (rec->either.known())
            append_either_tag(pinfo->cinfo, state.labels->get(rec->either.labels));
        else
            col_append_lstr(pinfo->cinfo, COL_INFO, state.labels->info_tag(rec->src.labels, rec->dst.labels).c_str(),
                            COL_ADD_LSTR_TERMINATOR);  // " [curl 4242 → python3 17]"
    }
    if (!add_fields && !tapped) return tvb_captured_length(tvb);
    const OwnerLabels& src = state.labels->get(rec->src.labels);
    const OwnerLabels& dst = state.labels->get(rec->dst.labels);
    if (add_fields) {
        ItemAdder pt(ti, tvb, items);
        pt.add_side(End::src, rec->src.how, rec->src.source, src);
        pt.add_side(End::dst, rec->dst.how, rec->dst.source, dst);
        if (rec->either.known()) pt.add_either(state.labels->get(rec->either.labels));
    }
    if (tapped) {
        auto* t = wmem_new(pinfo->pool, proc_tap_info);
        t->src = tap_side(pinfo->pool, src);
        t->dst = tap_side(pinfo->pool, dst);
        t->bytes = pinfo->fd->pkt_len;
        tap_queue_packet(proc_tap, pinfo, t);
    }
    return tvb_captured_length(tvb);
}

// A new capture file (and a re-dissection): flows and waits start over; the journal
// follows the preferences, which the apply callback only reports when not default.
// What a file's packets made: flows, frame records, their labels and memos.
void forget_file() {
    state.attributor->new_file();
    state.frames.clear();
    state.recent.clear();
    state.labels->clear();
    frame_sides.clear();
}

void proc_init() {
    apply_prefs();
    note_tap_listeners();
    forget_file();
    state.live = -1;
    state.unchecked = 0;
}

// The read-ahead's thread runs this module's code: it stops before Wireshark unloads
// the module (after the last file's cleanup, or by this destructor, which dlclose()
// and exit() run).
void stop_reading_ahead() {
    if (state.journal) state.journal->read_ahead(false);
}
struct StopReadingAheadAtUnload {
    ~StopReadingAheadAtUnload() { stop_reading_ahead(); }
} stop_at_unload;

void proc_cleanup() {
    stop_reading_ahead();  // the next file's first packet says whether to (live or not)
    if (!state.attributor) return;
    proc_debug("%s: %lld journal reads (%lld read ahead); waited for %lld new flows", state.path.c_str(),
               (long long)state.journal->reads(), (long long)state.journal->ahead_reads(),
               (long long)state.attributor->waits());
    forget_file();
}

}  // namespace

void proto_register_proc(void) {
    static ei_register_info ei[] = {
        {&ei_proc_journal_unavailable,
         {"proc.journal_unavailable", PI_UNDECODED, PI_WARN, "Process journal unavailable", EXPFILL}},
    };

    proto_proc = proto_register_protocol("Process (sockowner)", "PROC", "proc");
    register_proc_fields(proto_proc);
    expert_register_field_array(expert_register_protocol(proto_proc), ei, G_N_ELEMENTS(ei));

    module_t* module = prefs_register_protocol(proto_proc, apply_prefs);
    pref_journal = g_strdup(default_journal_pref().c_str());
    prefs_register_filename_preference(
        module, "journal", "Journal file",
        "The sockowner journal (SQLite) that says which process owned each socket. "
        "Default: $SOCKOWNER_JOURNAL, else the collector's default path.",
        &pref_journal, FALSE);
    prefs_register_uint_preference(module, "time_slack", "Time slack (ms)",
                                   "How far before a socket was seen opened, or after it was closed, a packet "
                                   "may still belong to it",
                                   10, &pref_time_slack_ms);
    prefs_register_bool_preference(module, "info_column", "Show processes in the Info column",
                                   "Append [source → destination] process names to the Info column",
                                   &pref_info_column);

    register_postdissector(create_dissector_handle(dissect_proc, proto_proc));
    register_init_routine(proc_init);
    register_cleanup_routine(proc_cleanup);

    proc_tap = register_tap("proc");
    register_proc_stats_tree();
    find_printed_fields(proto_proc);
}
