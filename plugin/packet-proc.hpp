// Shared by the postdissector, the statistics tree and the plugin entry points.
#pragma once

#include <stdint.h>

// One end of a packet, as the "proc" tap carries it.
struct proc_tap_side {
    const char* name;  // "curl", "[kernel]", or NULL when unknown
    uint32_t pid;      // 0 unless a process
};

// What the "proc" tap carries for each TCP, UDP or ICMP packet over IP.
struct proc_tap_info {
    proc_tap_side src, dst;
    uint32_t bytes;  // the frame's length
};

void proto_register_proc(void);
void register_proc_stats_tree(void);
