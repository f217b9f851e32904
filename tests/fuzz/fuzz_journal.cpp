// libFuzzer target: the input is a whole file, opened as a journal the way the CLI
// (lookup, export, stats) and the Wireshark plugin (JournalFollower) open one. A bad
// journal may be refused with a JournalError, nothing else: no crash, no other
// exception, no leak, no hang (-timeout), no unbounded memory (-rss_limit_mb).
#include "fuzz_input.hpp"
#include "journal_follower.hpp"
#include "owner_index.hpp"
#include "owner_labels.hpp"
#include "reader.hpp"
#include "record_format.hpp"
#include "timeutil.hpp"

#include <unordered_map>
#include <vector>

using namespace sockowner;

namespace {

const std::string& journal_path() {
    static const std::string path = fuzz::scratch_dir() + "/journal.db";
    return path;
}

void remove_journal() {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((journal_path() + suffix).c_str());
}

// The tuples and times of the first rows read: the plugin's lookups use them too.
std::vector<OwnerQuery> queries;

// What `sockowner lookup`, `export` and `stats` do with a journal.
void read_as_cli(const std::string& path) {
    JournalReader r(path);
    OwnerIndex index;
    std::vector<SocketRow> some;
    std::unordered_map<std::int64_t, ProcessRow> processes;  // as the follower keeps them
    std::int64_t seq = r.processes_since(0, [&](const ProcessRow& p) { processes[p.id] = p; });
    r.processes_since(seq / 2, [&](const ProcessRow& p) { processes[p.id] = p; });  // a later refresh
    SocketFeed feed = r.sockets_since({}, [&](const SocketRow& s) {
        index.upsert(s);
        if (some.size() < 32) some.push_back(s);
    });
    r.sockets_since({feed.id / 2, feed.change / 2}, [&](const SocketRow& s) { index.upsert(s); });  // a later refresh

    const MatchOptions opt;
    for (const SocketRow& s : some) {
        OwnerQuery q{s.s.proto, s.s.local, s.s.remote, s.s.opened};
        queries.push_back(q);
        index.find(q, opt);
        index.find_all_unconnected(q, opt);
        q.remote = {};
        q.at = s.s.closed.value_or(s.s.opened);
        index.find(q, opt);
        (void)r.sockets_on_port(s.s.proto, s.s.local.port, time_add(s.s.opened, -opt.grace), time_add(q.at, opt.slack));
        (void)r.last_opened_on_port(s.s.proto, s.s.local.port, time_add(s.s.opened, -3600 * kNsPerSec), q.at);
        auto p = r.process(s.process_id);
        auto fields = interval_fields(s, p ? &*p : nullptr);
        (void)to_json(fields);
    }
    std::size_t n = 0;
    auto format = [&](const SocketRow& s, const ProcessRow* p) {
        if (n++ >= 256) return;
        auto fields = interval_fields(s, p);
        (void)to_json(fields);
        (void)to_csv(fields);
        (void)csv_header(fields);
    };
    r.intervals(std::nullopt, std::nullopt, format);
    if (!some.empty()) r.intervals(some[0].s.opened, some[0].s.closed, format);
    for (const RunRow& run : r.runs()) r.counters(run.id);
    r.socket_counts();
    r.process_count();
    r.file_size();
}

// What the plugin does: follow the journal, look the rows' tuples up, label the owners.
void read_as_plugin(const std::string& path) {
    attribution::JournalFollower f(path, [] { return TimeNs(0); });
    f.refresh(0);
    if (!f.usable()) return;
    attribution::OwnerLabelCache labels(f);
    const MatchOptions opt;
    auto label = [&](const OwnerMatch& m) {
        const auto& l = labels.get(attribution::SideOwner{attribution::How::exact, m.socket->id, m.socket->process_id});
        (void)l.info.size();
        (void)f.source(m.socket->tag);
    };
    for (const OwnerQuery& q : queries) {
        f.cover(time_add(q.at, -opt.grace), time_add(q.at, opt.slack));  // reads by time when it can
        if (auto m = f.index().find(q, opt)) label(*m);
        for (const OwnerMatch& m : f.index().find_all_unconnected(q, opt)) label(m);
        f.coverage().watched(q.local.addr, q.at);
    }
    (void)labels.get(attribution::SideOwner{attribution::How::kernel, 0, 0});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    remove_journal();
    queries.clear();
    fuzz::write_file(journal_path(), {data, size});
    try {
        read_as_cli(journal_path());
    } catch (const JournalError&) {
    }
    remove_journal();  // a WAL journal's -shm and -wal too: the plugin starts afresh
    fuzz::write_file(journal_path(), {data, size});
    read_as_plugin(journal_path());  // never throws
    remove_journal();
    return 0;
}
