#include "owner_labels.hpp"

namespace sockowner::attribution {

namespace {

const char* const kEndTitle[2] = {"Source", "Destination"};

void set_unknown(OwnerLabels& l) {
    l.row = nullptr;
    l.name = nullptr;
    l.info = "?";
    for (int e = 0; e < 2; ++e) l.title[e] = std::string(kEndTitle[e]) + " process: unknown";
    l.stats.clear();
}

void set_process(OwnerLabels& l, const ProcessRow* p) {
    if (!p) {
        set_unknown(l);
        return;
    }
    l.row = p;
    l.name = p->p.comm.c_str();
    std::string pid = std::to_string(p->p.pid);
    // As C strings: a name is shown up to its first NUL, as printf("%s") showed it.
    l.info.assign(l.name).append(" ").append(pid);
    l.stats.assign(l.name).append(" (").append(pid).append(")");
    for (int e = 0; e < 2; ++e) l.title[e].assign(kEndTitle[e]).append(" process: ").append(l.stats);
}

std::size_t slot_of(std::int64_t process_id, std::uint64_t epoch, std::size_t mask) {
    auto h = (std::uint64_t(process_id) ^ (epoch << 40)) * 0x9E3779B97F4A7C15ull;
    return std::size_t(h ^ (h >> 32)) & mask;
}

}  // namespace

OwnerLabelCache::OwnerLabelCache(const JournalFollower& journal) : journal_(&journal) { make_fixed(); }

void OwnerLabelCache::make_fixed() {
    auto unknown = std::make_unique<Entry>();
    set_unknown(unknown->labels);
    auto kernel = std::make_unique<Entry>();
    OwnerLabels& k = kernel->labels;
    k.name = kKernelName;
    k.info = "kernel";
    for (int e = 0; e < 2; ++e) k.title[e] = std::string(kEndTitle[e]) + " process: " + kKernelName;
    k.stats = kKernelName;
    entries_.push_back(std::move(unknown));  // kUnknown
    entries_.push_back(std::move(kernel));   // kKernel
}

void OwnerLabelCache::rebind(const JournalFollower& journal) {
    journal_ = &journal;
    tags_.fill(Tag{});  // made with another journal's process generation
}

void OwnerLabelCache::clear() {
    entries_.clear();
    by_process_.clear();
    by_process_.shrink_to_fit();
    sources_.clear();
    annotated_.clear();
    tags_.fill(Tag{});
    make_fixed();
}

void OwnerLabelCache::grow() {
    std::vector<Slot> old = std::move(by_process_);
    by_process_.assign(old.empty() ? 256 : old.size() * 2, Slot{});
    std::size_t mask = by_process_.size() - 1;
    for (const Slot& s : old) {
        if (s.handle == 0) continue;
        std::size_t i = slot_of(s.process_id, s.epoch, mask);
        while (by_process_[i].handle != 0) i = (i + 1) & mask;
        by_process_[i] = s;
    }
}

// Renders from the journal while it is the file the entry's ids are of; otherwise
// the entry keeps what it had.
void OwnerLabelCache::render(Entry& e) {
    if (e.epoch != journal_->epoch()) return;
    std::uint64_t generation = journal_->process_generation();
    if (e.rendered && e.generation == generation) return;
    const ProcessRow* p = journal_->process(e.process_id);
    if (p)
        e.row = *p;
    else
        e.row.reset();
    set_process(e.labels, e.row ? &*e.row : nullptr);
    e.generation = generation;
    e.rendered = true;
}

OwnerLabelCache::Handle OwnerLabelCache::handle(const SideOwner& o) {
    if (o.is_kernel()) return kKernel;
    if (!o.is_process()) return kUnknown;
    std::uint64_t epoch = o.journal ? o.journal : journal_->epoch();
    if (entries_.size() * 2 > by_process_.size()) grow();  // entries_ counts the two fixed ones too
    std::size_t mask = by_process_.size() - 1;
    for (std::size_t i = slot_of(o.process_id, epoch, mask);; i = (i + 1) & mask) {
        Slot& s = by_process_[i];
        if (s.handle != 0 && s.process_id == o.process_id && s.epoch == epoch) return s.handle;
        if (s.handle == 0) {
            auto e = std::make_unique<Entry>();
            e->process = true;
            e->process_id = o.process_id;
            e->epoch = epoch;
            set_unknown(e->labels);  // a process of a journal no longer read stays unknown
            render(*e);
            entries_.push_back(std::move(e));
            s = Slot{o.process_id, epoch, Handle(entries_.size() - 1)};
            return s.handle;
        }
    }
}

OwnerLabelCache::Handle OwnerLabelCache::annotated(const ProcessInfo& p) {
    std::string key = std::to_string(p.pid) + '\0' + std::to_string(p.ppid) + '\0' + std::to_string(p.uid) + '\0' +
                      p.comm + '\0' + p.exe + '\0' + p.cmdline + '\0' + p.user + '\0' + p.container + '\0' + p.cgroup;
    auto [it, added] = annotated_.try_emplace(std::move(key), kUnknown);
    if (!added) return it->second;
    auto e = std::make_unique<Entry>();  // not a journal's process: never rendered again
    e->row = ProcessRow{};
    e->row->p = p;
    set_process(e->labels, &*e->row);
    entries_.push_back(std::move(e));
    it->second = Handle(entries_.size() - 1);
    return it->second;
}

const OwnerLabels& OwnerLabelCache::get(Handle h) {
    Entry& e = *entries_[h < entries_.size() ? h : kUnknown];
    if (e.process) render(e);
    return e.labels;
}

const std::string& OwnerLabelCache::info_tag(Handle src, Handle dst) {
    // A label changes only when rendered again, which only a new process generation
    // of the same journal does (it only grows; another journal clears the tags).
    const std::uint64_t generation = journal_->process_generation();
    Tag& t = tags_[(std::uint64_t(src) << 32 | dst) * 0x9E3779B97F4A7C15ull >> 56];  // the top 8 bits
    if (!t.made || t.src != src || t.dst != dst || t.generation != generation) {
        const std::string& from = get(src).info;
        const std::string& to = get(dst).info;
        t.text.assign(" [").append(from).append(" \u2192 ").append(to).append("]");
        t.src = src;
        t.dst = dst;
        t.generation = generation;
        t.made = true;
    }
    return t.text;
}

const char* OwnerLabelCache::source_name(std::string_view source) {
    if (source.empty()) return nullptr;
    for (const auto& s : sources_)
        if (*s == source) return s->c_str();
    if (sources_.size() >= 64) return nullptr;  // a hostile journal's endless variety
    sources_.push_back(std::make_unique<std::string>(source));
    return sources_.back()->c_str();
}

}  // namespace sockowner::attribution
