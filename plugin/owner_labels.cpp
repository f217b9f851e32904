#include "owner_labels.hpp"

namespace sockowner::plugin {

namespace {

const char* const kEndTitle[2] = {"Source", "Destination"};

void set_unknown(OwnerLabels& l) {
    l.row = nullptr;
    l.name = nullptr;
    l.info = "?";
    for (int e = 0; e < 2; ++e) l.title[e] = std::string(kEndTitle[e]) + " process: unknown";
    l.stats.clear();
}

}  // namespace

OwnerLabelCache::OwnerLabelCache(const JournalFollower& journal) : journal_(journal) {
    kernel_.name = kKernelName;
    kernel_.info = "kernel";
    for (int e = 0; e < 2; ++e) kernel_.title[e] = std::string(kEndTitle[e]) + " process: " + kKernelName;
    kernel_.stats = kKernelName;
    set_unknown(unknown_);
}

void OwnerLabelCache::render(OwnerLabels& l, std::int64_t process_id) const {
    const ProcessRow* p = journal_.process(process_id);
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

const OwnerLabels& OwnerLabelCache::get(const SideOwner& o) {
    if (o.is_kernel()) return kernel_;
    if (!o.is_process()) return unknown_;
    auto [it, inserted] = by_process_.try_emplace(o.process_id);
    Entry& e = it->second;
    std::uint64_t generation = journal_.process_generation();
    if (inserted || e.generation != generation) {
        render(e.labels, o.process_id);
        e.generation = generation;
    }
    return e.labels;
}

}  // namespace sockowner::plugin
