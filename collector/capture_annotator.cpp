#include "capture_annotator.hpp"

#include "link_layer.hpp"
#include "packet_headers.hpp"
#include "side_plan.hpp"
#include "timeutil.hpp"

#include <initializer_list>

namespace sockowner::cli {

using namespace sockowner::attribution;

namespace {
// A pipe's first packet at most this far from the clock: a capture being made.
constexpr TimeNs kLiveWithin = 60'000'000'000;

// The words of a key, folded into one hash (Interned and unordered_map mix it again).
std::size_t hash_words(std::initializer_list<std::uint64_t> words) {
    std::uint64_t h = 0;
    for (std::uint64_t v : words) h = (h ^ v) * 0x9E3779B97F4A7C15ull;
    return std::size_t(h ^ (h >> 29));
}
std::uint64_t word(const char* p) { return std::uint64_t(reinterpret_cast<std::uintptr_t>(p)); }
}  // namespace

std::size_t CaptureAnnotator::KeyHash::operator()(const Key& k) const {
    return hash_words({std::uint64_t(k.src_how) << 8 | std::uint64_t(k.dst_how), std::uint64_t(k.src_process),
                       std::uint64_t(k.dst_process), word(k.src_source), word(k.dst_source)});
}

std::size_t CaptureAnnotator::EndKeyHash::operator()(const EndKey& k) const {
    return hash_words({std::uint64_t(k.side) << 8 | std::uint64_t(k.how), std::uint64_t(k.process), word(k.source)});
}

CaptureAnnotator::CaptureAnnotator(JournalFollower& journal, AttributionOptions opt, capture::PcapngWriter& out,
                                   AnnotateFormats formats)
    : journal_(journal), attributor_(journal, opt), out_(out), formats_(formats) {}

void CaptureAnnotator::section(capture::ByteOrder order, std::span<const std::uint8_t> shb) { out_.section(order, shb); }

void CaptureAnnotator::block(std::span<const std::uint8_t> raw) { out_.block(raw); }

void CaptureAnnotator::interrupted() {
    if (stop_check_) stop_check_();
}

// A live capture's packet: the rows written since the last look, and a new flow's
// packet waits (until its time + live_wait) for its socket's row. Its older packets
// (a pipe's backlog) and a file's are attributed as the capture's order allows.
FrameOwners CaptureAnnotator::owners(const PacketTuple& t, TimeNs at) {
    if (!decided_) {
        decided_ = true;
        if (may_be_live_ && time_distance(at, waiter_.wall_now()) < kLiveWithin) {
            counts_.live = true;
            journal_.read_ahead(false);  // nothing is ahead of a live capture yet
        }
    }
    if (counts_.live) {
        journal_.refresh(kJournalRefreshInterval);
        if (time_add(at, attributor_.options().live_wait) > waiter_.wall_now())
            return attributor_.attribute_live(plan_sides(t, at), waiter_);
    }
    return attribute_flow(attributor_, recent_, t, at);
}

void CaptureAnnotator::unattributable(std::span<const std::uint8_t> raw) {
    ++counts_.skipped;
    out_.block(raw);
}

CommentSide CaptureAnnotator::comment_side(const SideOwner& o) const {
    CommentSide s;
    s.how = o.how;
    if (!o.is_process()) return s;
    if (const ProcessRow* row = journal_.process(o.process_id)) {
        s.process = row->p;
        s.source = std::string(journal_.source(o.source));
    } else {
        s.how = How::unknown;  // a socket whose process row the journal lacks names nobody
    }
    return s;
}

const CaptureAnnotator::End& CaptureAnnotator::end(int side, const SideOwner& o, const char* source) {
    auto [it, added] = ends_.try_emplace(EndKey{side, o.how, o.process_id, source});
    End& e = it->second;
    if (!added) return e;
    CommentSide c = comment_side(o);
    e.label = owner_comment_label(c);
    e.lines = owner_comment_lines(side == 0 ? "src" : "dst", c);
    e.known = c.how != How::unknown;
    if (c.process) {
        e.pid = std::uint32_t(c.process->pid);
        e.name = c.process->comm;  // the journal's row, escaped already: UTF-8, as pcapng wants
    }
    return e;
}

CaptureAnnotator::Rendered& CaptureAnnotator::render(const FrameOwners& owners) {
    auto source = [&](const SideOwner& o) { return o.is_process() ? journal_.source(o.source).data() : nullptr; };
    Key key{owners.src.how, owners.dst.how, owners.src.process_id, owners.dst.process_id, source(owners.src),
            source(owners.dst)};
    if (last_[0] && key == last_key_[0]) return *last_[0];  // the flow of the packet before, most often
    if (last_[1] && key == last_key_[1]) {                    // or its other direction
        std::swap(last_key_[0], last_key_[1]);
        std::swap(last_[0], last_[1]);
        return *last_[0];
    }
    bool added = false;
    std::uint32_t n = keys_.intern(key, &added);
    last_key_[1] = last_key_[0];
    last_[1] = last_[0];
    last_key_[0] = key;
    if (!added) return *(last_[0] = &rendered_[n]);
    Rendered& r = *(last_[0] = &rendered_.emplace_back());  // number n: keys are numbered in order
    const End& src = end(0, owners.src, key.src_source);
    const End& dst = end(1, owners.dst, key.dst_source);
    // Also when neither end is known: "sockowner: ? → ?" says the packet was looked up.
    r.comment = format_owner_comment(src.label, src.lines, dst.label, dst.lines);
    r.known = src.known || dst.known;
    const End& local = src.pid ? src : dst;
    r.pid = local.pid;
    r.name = local.name;
    return r;
}

std::uint32_t CaptureAnnotator::darwin_index(std::uint32_t pid, const std::string& name) {
    auto [it, added] = darwin_.try_emplace({pid, name}, 0);
    if (added) it->second = out_.darwin_process(pid, name);
    return it->second;
}

void CaptureAnnotator::packet(const capture::Packet& p) {
    if (stop_check_) stop_check_();
    ++counts_.packets;
    capture::PcapngWriter::Extra extra;
    std::optional<PacketTuple> tuple;
    if (auto ip = capture::network_layer(p.linktype, p.data)) tuple = ip_packet_tuple(*ip);
    if (tuple) {
        FrameOwners owners = this->owners(*tuple, clamp_time(p.time_ns));
        Rendered& r = render(owners);
        if (r.known) ++counts_.annotated;
        if (owners.src.known() && owners.dst.known()) ++counts_.both;
        if (formats_.comment) extra.comment = r.comment;
        if (r.pid) {
            if (formats_.darwin) {
                if (!r.darwin) r.darwin = darwin_index(*r.pid, r.name);  // one block per process and name
                extra.darwin_process = r.darwin;
            }
            if (formats_.pid) extra.pid = *r.pid;
        }
    }
    out_.packet(p, extra);
}

}  // namespace sockowner::cli
