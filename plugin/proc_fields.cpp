#define WS_LOG_DOMAIN "proc"

#include "proc_fields.hpp"

#include <epan/tap.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "tshark_fields.hpp"

namespace sockowner::plugin {

using attribution::End;
using attribution::How;
using attribution::OwnerLabels;

namespace {

// One set of fields per end.
struct SideFields {
    int pid = -1, name = -1, cmdline = -1, exe = -1, ppid = -1, uid = -1, user = -1, container = -1, cgroup = -1,
        source = -1, match = -1, label = -1;
};
SideFields hf_proc_src, hf_proc_dst;
int hf_proc_pid = -1;   // either end, hidden (like ip.addr)
int hf_proc_name = -1;  // either end, hidden

int ett_proc = -1;
int ett_proc_side = -1;

// tshark 4.0's -T fields: the ids of the proc fields it prints (find_printed_fields).
std::optional<std::vector<int>> printed_fields;
// A tap listener walks the whole tree (a Lua Listener, which may read all_field_infos()
// without naming fields): then it gets every item, printed or not.
bool tree_walked = false;

// The Process columns' field: the name, or a placeholder when unknown, so that a column
// is never empty (tshark's text output drops empty columns). Hidden: the tree has the name.
constexpr const char* kUnknownLabel = "?";

// "Source PID", proc.src.pid ...: the strings live as long as the registration.
struct SideNames {
    const char* title;   // "Source"
    const char* abbrev;  // "src"
};

hf_register_info side_field(int* id, SideNames side, const char* what, const char* abbrev_tail, ftenum type,
                            const char* blurb) {
    hf_register_info hf = {id, {g_strdup_printf("%s %s", side.title, what),
                                g_strdup_printf("proc.%s.%s", side.abbrev, abbrev_tail), type,
                                type == FT_STRING ? BASE_NONE : BASE_DEC, nullptr, 0x0, blurb, HFILL}};
    return hf;
}

void register_side_fields(GArray* out, SideFields& f, SideNames side) {
    hf_register_info hf[] = {
        side_field(&f.pid, side, "PID", "pid", FT_UINT32, "Process ID of the socket's owner"),
        side_field(&f.name, side, "process", "name", FT_STRING, "Process name (comm), or [kernel]"),
        side_field(&f.cmdline, side, "command line", "cmdline", FT_STRING, nullptr),
        side_field(&f.exe, side, "executable", "exe", FT_STRING, nullptr),
        side_field(&f.ppid, side, "parent PID", "ppid", FT_UINT32, nullptr),
        side_field(&f.uid, side, "UID", "uid", FT_UINT32, nullptr),
        side_field(&f.user, side, "user", "user", FT_STRING, nullptr),
        side_field(&f.container, side, "container", "container", FT_STRING,
                   "Container ID (docker, containerd, CRI-O, podman, k8s), from the runtimes' cgroups only"),
        side_field(&f.cgroup, side, "cgroup", "cgroup", FT_STRING, "The process's cgroup (v2) path"),
        side_field(&f.source, side, "owner recorded by", "source", FT_STRING,
                   "How the collector learnt the owner: ebpf, iterator, procfs; or kernel"),
        side_field(&f.match, side, "match", "match", FT_STRING,
                   "How the journal matched: exact, local, wildcard, conversation, kernel"),
        side_field(&f.label, side, "process label", "label", FT_STRING,
                   "The process name, [kernel], or ? when unknown: for columns (never empty)"),
    };
    g_array_append_vals(out, hf, G_N_ELEMENTS(hf));
}

}  // namespace

void register_proc_fields(int proto) {
    // Field names are built at run time; Wireshark keeps pointers into this array, which
    // is never freed or grown after registration.
    GArray* hf = g_array_new(FALSE, FALSE, sizeof(hf_register_info));
    register_side_fields(hf, hf_proc_src, {"Source", "src"});
    register_side_fields(hf, hf_proc_dst, {"Destination", "dst"});
    static hf_register_info either[] = {
        {&hf_proc_pid, {"PID", "proc.pid", FT_UINT32, BASE_DEC, nullptr, 0x0, "Source or destination PID", HFILL}},
        {&hf_proc_name,
         {"Process", "proc.name", FT_STRING, BASE_NONE, nullptr, 0x0, "Source or destination process name", HFILL}},
    };
    g_array_append_vals(hf, either, G_N_ELEMENTS(either));
    proto_register_field_array(proto, reinterpret_cast<hf_register_info*>(hf->data), int(hf->len));
    static gint* ett[] = {&ett_proc, &ett_proc_side};
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
}

void find_printed_fields([[maybe_unused]] int proto) {
#if !PROC_WS_AT_LEAST(4, 2)
    std::optional<std::vector<std::string>> names = tshark_printed_fields(own_command_line());
    if (!names) return;
    printed_fields.emplace();
    for (const std::string& name : *names) {
        int id = proto_registrar_get_id_byname(name.c_str());
        if (id >= 0 && proto_registrar_get_parent(id) == proto) printed_fields->push_back(id);
    }
    proc_debug("tshark -T fields: %zu proc fields printed; only those and the referenced are added",
               printed_fields->size());
#endif
}

void note_tap_listeners() {
    tree_walked = union_of_tap_listener_flags() & TL_REQUIRES_PROTO_TREE;
    if (printed_fields && tree_walked) proc_debug("tshark -T fields: a tap listener reads the tree: every proc item added");
}

Items items_wanted(proto_tree* tree, int proto) {
    if (!tree) return Items::none;
    if (PTREE_DATA(tree)->visible) return printed_fields && !tree_walked ? Items::wanted : Items::all;
    return proto_registrar_get_nth(proto)->ref_type != HF_REF_TYPE_NONE ? Items::wanted : Items::none;
}

ItemAdder::ItemAdder(proto_item* proc, tvbuff_t* tvb, Items items)
    : ItemAdder(proto_item_add_subtree(proc, ett_proc), tvb, items == Items::wanted) {}

ItemAdder::ItemAdder(proto_tree* tree, tvbuff_t* tvb, bool only_wanted)
    : tree_(tree), tvb_(tvb), only_wanted_(only_wanted) {}

void ItemAdder::add_side(End end, How how, const char* source, const OwnerLabels& l) const {
    const SideFields& hf = end == End::src ? hf_proc_src : hf_proc_dst;
    add_string(hf.label, l.name ? l.name : kUnknownLabel, true);
    if (how == How::unknown) return;
    ItemAdder side = subtree(l.title_for(end).c_str());
    const ProcessRow* p = l.row;
    if (p) {
        side.add_uint(hf.pid, guint32(p->p.pid));
        side.add_uint(hf_proc_pid, guint32(p->p.pid), true);
    }
    if (l.name) {
        side.add_string(hf.name, l.name);
        side.add_string(hf_proc_name, l.name, true);
    }
    if (p) {
        side.add_string_if(hf.cmdline, p->p.cmdline);
        side.add_string_if(hf.exe, p->p.exe);
        side.add_uint(hf.ppid, guint32(p->p.ppid));
        side.add_uint(hf.uid, p->p.uid);
        side.add_string_if(hf.user, p->p.user);
        side.add_string_if(hf.container, p->p.container);
        side.add_string_if(hf.cgroup, p->p.cgroup);
    }
    if (how == How::kernel) source = "kernel";
    if (source) side.add_string(hf.source, source);
    side.add_string(hf.match, how_name(how).data());
}

void ItemAdder::add_either(const OwnerLabels& l) const {
    if (!l.row) return;
    ItemAdder side = only_wanted_ ? *this : subtree(("Process at either end: " + l.stats + " (from a packet comment)").c_str());
    side.add_uint(hf_proc_pid, guint32(l.row->p.pid));
    side.add_string(hf_proc_name, l.name);
}

void ItemAdder::add_uint(int hf, guint32 value, bool hidden) const {
    if (!wants(hf)) return;
    proto_item* item = proto_tree_add_uint(tree_, hf, tvb_, 0, 0, value);
    if (hidden) proto_item_set_hidden(item);
}

void ItemAdder::add_string(int hf, const char* value, bool hidden) const {
    if (!wants(hf)) return;
    proto_item* item = proto_tree_add_string(tree_, hf, tvb_, 0, 0, value);
    if (hidden) proto_item_set_hidden(item);
}

void ItemAdder::add_string_if(int hf, const std::string& value) const {
    if (!value.empty()) add_string(hf, value.c_str());
}

ItemAdder ItemAdder::subtree(const char* title) const {
    if (only_wanted_) return *this;
    return {proto_tree_add_subtree(tree_, tvb_, 0, 0, ett_proc_side, nullptr, title), tvb_, false};
}

bool ItemAdder::wants(int hf) const {
    if (!only_wanted_ || proto_registrar_get_nth(hf)->ref_type != HF_REF_TYPE_NONE) return true;
    return printed_fields && std::find(printed_fields->begin(), printed_fields->end(), hf) != printed_fields->end();
}

}  // namespace sockowner::plugin
