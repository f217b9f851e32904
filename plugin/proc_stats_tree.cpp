// Statistics › Processes and `tshark -z proc,tree`: packets and bytes by program, then
// by pid, in four tables that each count every packet once: by its sender, by its
// receiver (a loopback packet is in both, once in each), in packets and in bytes. So
// the programs of a table add up to 100 %, and the pids of a program to 100 % of it.
#include "ws_compat.h"

#include <epan/stats_tree.h>

#include <cstdio>

#include "packet-proc.hpp"

namespace {

constexpr const char* kUnknown = "(unknown)";

struct Table {
    const char* title;
    bool by_sender;
    bool bytes;
    int node;
};
Table tables[] = {
    {"Packets by sending process", true, false, -1},
    {"Packets by receiving process", false, false, -1},
    {"Bytes by sending process", true, true, -1},
    {"Bytes by receiving process", false, true, -1},
};

void proc_stats_init(stats_tree* st) {
    for (Table& t : tables) t.node = stats_tree_create_node(st, t.title, 0, STAT_DT_INT, true);
}

// Adds `value` to the table's total, its program and the program's pid.
void count(stats_tree* st, const Table& t, const proc_tap_side& side, int value) {
    increase_stat_node(st, t.title, 0, true, value);
    int program = increase_stat_node(st, side.name ? side.name : kUnknown, t.node, true, value);
    if (side.pid == 0) return;  // the kernel, or unknown: no pid level
    char pid[24];
    std::snprintf(pid, sizeof pid, "pid %u", unsigned(side.pid));
    increase_stat_node(st, pid, program, false, value);
}

tap_packet_status proc_stats_packet(stats_tree* st, packet_info*, epan_dissect_t*, const void* data, tap_flags_t) {
    const auto* p = static_cast<const proc_tap_info*>(data);
    for (const Table& t : tables) count(st, t, t.by_sender ? p->src : p->dst, t.bytes ? int(p->bytes) : 1);
    return TAP_PACKET_REDRAW;
}

}  // namespace

void register_proc_stats_tree(void) {
    // The plugin variant puts it straight into the Statistics menu.
    stats_tree_register_plugin("proc", "proc", "Processes", 0, proc_stats_packet, proc_stats_init, nullptr);
}
