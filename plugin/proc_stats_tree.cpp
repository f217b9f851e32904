// Statistics › Processes and `tshark -z proc,tree`: packets and bytes per process,
// split into sent and received. A loopback packet counts for both of its processes.
#include "ws_compat.h"

#include <epan/stats_tree.h>

#include <cstring>

#include "packet-proc.hpp"

namespace {

constexpr const char* kPackets = "Packets by process";
constexpr const char* kBytes = "Bytes by process";
constexpr const char* kUnknown = "(unknown)";
int packets_node = -1;
int bytes_node = -1;

void proc_stats_init(stats_tree* st) {
    packets_node = stats_tree_create_node(st, kPackets, 0, STAT_DT_INT, TRUE);
    bytes_node = stats_tree_create_node(st, kBytes, 0, STAT_DT_INT, TRUE);
}

// Counts `value` for the process `name` under `root`, direction `dir`; `count_process`
// is false for the second side of a packet a process sent to itself.
void count(stats_tree* st, int root, const char* name, const char* dir, int value, bool count_process) {
    int process = increase_stat_node(st, name, root, TRUE, count_process ? value : 0);
    increase_stat_node(st, dir, process, FALSE, value);
}

tap_packet_status proc_stats_packet(stats_tree* st, packet_info*, epan_dissect_t*, const void* data, tap_flags_t) {
    const auto* t = static_cast<const proc_tap_info*>(data);
    const char* src = t->src ? t->src : kUnknown;
    const char* dst = t->dst ? t->dst : kUnknown;
    bool same = std::strcmp(src, dst) == 0;
    tick_stat_node(st, kPackets, 0, TRUE);
    increase_stat_node(st, kBytes, 0, TRUE, int(t->bytes));
    count(st, packets_node, src, "sent", 1, true);
    count(st, packets_node, dst, "received", 1, !same);
    count(st, bytes_node, src, "sent", int(t->bytes), true);
    count(st, bytes_node, dst, "received", int(t->bytes), !same);
    return TAP_PACKET_REDRAW;
}

}  // namespace

void register_proc_stats_tree(void) {
    // The plugin variant puts it straight into the Statistics menu.
    stats_tree_register_plugin("proc", "proc", "Processes", 0, proc_stats_packet, proc_stats_init, nullptr);
}
