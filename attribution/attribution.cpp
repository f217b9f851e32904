#include "attribution.hpp"

#include "timeutil.hpp"

#include <ctime>

namespace sockowner::attribution {

TimeNs SystemWaiter::wall_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return TimeNs(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void SystemWaiter::sleep(TimeNs duration) {
    if (duration <= 0) return;
    timespec ts{time_t(duration / 1'000'000'000), long(duration % 1'000'000'000)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

Attributor::Attributor(JournalFollower& journal, AttributionOptions opt)
    : journal_(journal), opt_(opt), flows_(opt.conversation_idle), waited_(opt.conversation_idle) {}

void Attributor::new_file() {
    flows_.clear();
    waited_.clear();
}

SideOwner Attributor::owner_of(const OwnerMatch& m) const {
    How how = m.kind == MatchKind::exact ? How::exact : m.kind == MatchKind::local ? How::local : How::wildcard;
    return SideOwner{how, m.socket->id, m.socket->process_id, journal_.epoch(), m.socket->tag};
}

// Both change rarely: once per read of the journal, once per preference change.
std::uint64_t Attributor::stamp() const { return journal_.index().changes() ^ option_changes_ << 48; }

std::optional<SideOwner> Attributor::find_socket(const OwnerQuery& q, AnswerSpan* span_out) {
    const std::uint64_t stamp = this->stamp();
    if (const SideOwner* o = flows_.answered(q.proto, q.local, q.remote, q.at, stamp, span_out))
        return o->known() ? std::optional<SideOwner>(*o) : std::nullopt;
    AnswerSpan span;
    std::optional<SideOwner> o;
    if (auto m = journal_.index().find(q, opt_.match, &span)) o = owner_of(*m);
    if (!span.empty() && (span.from < q.at || span.to > q.at)) {
        flows_.remember_answer(q.proto, q.local, q.remote, o.value_or(SideOwner{}), span, stamp, q.at);
        if (span_out) *span_out = span;
    } else if (o) {
        flows_.remember(q.proto, q.local, q.remote, *o, q.at);
    }
    return o;
}

// A socket found is remembered as the flow's owner: later packets the journal cannot
// place (a FIN after the close) keep it.
std::optional<SideOwner> Attributor::from_journal(const SidePlan& p, AnswerSpan* span) {
    if (p.rule != SidePlan::Rule::lookup) return std::nullopt;
    const OwnerQuery& q = p.query;
    std::optional<SideOwner> found;
    if (p.to_listener) {  // only unconnected sockets: the query without its remote end
        OwnerQuery unconnected = q;
        unconnected.remote = {};
        if (auto m = journal_.index().find(unconnected, opt_.match)) found = owner_of(*m);
    } else {
        if (auto o = find_socket(q, span)) return o;  // remembered there
        if (p.raw_echo) found = raw_echo_owner(q);
    }
    if (found) flows_.remember(q.proto, q.local, q.remote, *found, q.at);
    return found;
}

// The raw ICMP socket that sent (or awaits) an echo whose id no ping socket has: every
// raw ICMP socket on the host sees the echo, so only the one whose process's pid is
// the id (as ping and fping set it in raw mode) is named. None, or several processes:
// unknown, never a guess.
std::optional<SideOwner> Attributor::raw_echo_owner(const OwnerQuery& q) const {
    const std::uint16_t raw_proto = q.proto == Proto::icmpv6 ? 58 : 1;
    std::optional<OwnerMatch> fit;
    for (const OwnerMatch& m : journal_.index().find_all_unconnected(
             OwnerQuery{Proto::raw, {q.local.addr, raw_proto}, {}, q.at}, opt_.match)) {
        const ProcessRow* proc = journal_.process(m.socket->process_id);
        if (!proc || std::uint16_t(proc->p.pid) != q.local.port) continue;
        if (fit && fit->socket->process_id != m.socket->process_id) return std::nullopt;
        if (!fit) fit = m;
    }
    if (fit) return owner_of(*fit);
    return std::nullopt;
}

SideOwner Attributor::decide(const SidePlan& p, const std::optional<SideOwner>& found) {
    const OwnerQuery& q = p.query;
    switch (p.rule) {
        case SidePlan::Rule::none: return {};
        case SidePlan::Rule::kernel:
            return journal_.coverage().watched(q.local.addr, q.at) ? SideOwner{How::kernel, 0, 0} : SideOwner{};
        case SidePlan::Rule::lookup: break;
    }
    if (found) return *found;  // remembered by from_journal()
    // No socket sent this RST although the collector was watching: the kernel did.
    if (p.kernel_if_unowned && journal_.coverage().watched(q.local.addr, q.at)) return {How::kernel, 0, 0};
    if (!p.opens_flow)
        if (auto o = flows_.recall(q.proto, q.local, q.remote, q.at)) return *o;
    return {};
}

// Every interval that can match at the packet's time: opened up to `slack` after it,
// closed up to `grace` before it.
void Attributor::cover(const PacketPlan& plan) {
    TimeNs at = plan.src.query.at;
    journal_.cover(time_add(at, -opt_.match.grace), time_add(at, opt_.match.slack));
}

FrameOwners Attributor::attribute(const PacketPlan& plan, Repeat* repeat) {
    cover(plan);
    AnswerSpan src_span, dst_span;
    FrameOwners owners{decide(plan.src, from_journal(plan.src, &src_span)),
                       decide(plan.dst, from_journal(plan.dst, &dst_span))};
    if (repeat) *repeat = repeatable(plan, owners, src_span, dst_span);
    return owners;
}

// Repeatable: both ends looked up by the plain rule (no SYN, RST or echo), each answer
// from the index with a span, and each end either that answer's socket or unknown with
// no flow owner to recall (a flow's owner from a journal read before, say). An end
// unknown over a span stays so while the index does: no tuple its lookups probe has
// an interval, so no packet of the flow can note an owner for it.
Repeat Attributor::repeatable(const PacketPlan& plan, const FrameOwners& owners, AnswerSpan src, AnswerSpan dst) {
    auto plain = [](const SidePlan& p) {
        return p.rule == SidePlan::Rule::lookup && !p.kernel_if_unowned && !p.opens_flow && !p.to_listener &&
               !p.raw_echo;
    };
    Repeat r;
    const OwnerQuery& q = plan.src.query;
    // (A connection to itself has both ends in one side of its entry: not here.)
    if (!plain(plan.src) || !plain(plan.dst) || src.empty() || dst.empty() || q.local == q.remote) return r;
    int side = 0;
    std::uint32_t flow = flows_.find(q.proto, q.local, q.remote, side);
    if (flow == ConversationCache::kNone) return r;
    for (auto [owner, s] : {std::pair{owners.src, side}, std::pair{owners.dst, 1 - side}})
        if (owner.known() ? owner.how == How::conversation : flows_.known(flow, s)) return r;
    r.from = std::max(src.from, dst.from);
    r.to = std::min(src.to, dst.to);
    r.stamp = stamp();
    r.epoch = journal_.epoch();
    r.generation = flows_.generation();
    r.flow = flow;
    r.src_side = side;
    r.owners = owners;
    return r;
}

bool Attributor::again(const Repeat& r, TimeNs at) {
    if (at < r.from || at > r.to) return false;
    journal_.cover(time_add(at, -opt_.match.grace), time_add(at, opt_.match.slack));
    if (r.stamp != stamp() || r.epoch != journal_.epoch() || r.generation != flows_.generation()) return false;
    // As find_socket() would note them: each end's owner on its side of the flow's
    // entry (the same sides whichever way the packet went) and when it was last seen.
    flows_.touch(r.flow, r.src_side, r.owners.src, at);
    flows_.touch(r.flow, 1 - r.src_side, r.owners.dst, at);
    return true;
}

bool Attributor::worth_waiting(const SidePlan& p) {
    // Only sockets the collector will record: on a host it watches, right now.
    const OwnerQuery& q = p.query;
    if (p.rule != SidePlan::Rule::lookup || !journal_.coverage().watched(q.local.addr, q.at)) return false;
    if (waited_.recall(q.proto, q.local, q.remote, q.at)) return false;
    waited_.remember(q.proto, q.local, q.remote, {}, q.at);
    return true;
}

FrameOwners Attributor::attribute_live(const PacketPlan& plan, Waiter& waiter) {
    cover(plan);
    auto src = from_journal(plan.src), dst = from_journal(plan.dst);
    bool wait_src = !src && worth_waiting(plan.src);
    bool wait_dst = !dst && worth_waiting(plan.dst);
    if (wait_src || wait_dst) {
        ++waits_;
        TimeNs deadline = time_add((wait_src ? plan.src : plan.dst).query.at, opt_.live_wait);
        for (TimeNs now = waiter.wall_now(); now < deadline; now = waiter.wall_now()) {
            waiter.sleep(std::min(opt_.live_requery, deadline - now));
            journal_.refresh(opt_.live_requery);
            cover(plan);  // a journal rotated meanwhile is read again from nothing
            if (wait_src && !src) src = from_journal(plan.src);
            if (wait_dst && !dst) dst = from_journal(plan.dst);
            if ((!wait_src || src) && (!wait_dst || dst)) break;
        }
    }
    return {decide(plan.src, src), decide(plan.dst, dst)};
}

FrameOwners attribute_flow(Attributor& a, FlowMemo<Repeat>& recent, const PacketTuple& t, TimeNs at,
                           bool* repeated) {
    const bool plain = plain_lookups(t);
    FlowKey flow;
    if (plain) {
        flow = FlowKey::of(t.own.proto, t.own.src, t.own.dst);
        // Kept as the flow's key orders its ends: a packet the other way, turned.
        if (const Repeat* last = recent.find(flow.key); last && a.again(*last, at)) {
            if (repeated) *repeated = true;
            return last->owners_turned(flow.reversed);
        }
    }
    if (repeated) *repeated = false;
    Repeat r;
    FrameOwners owners = a.attribute(plan_sides(t, at), &r);
    if (plain && r.usable()) recent.put(flow.key, r.turned(flow.reversed));
    return owners;
}

}  // namespace sockowner::attribution
