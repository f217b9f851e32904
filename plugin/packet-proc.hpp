// Shared by the postdissector, the statistics tree and the plugin entry points.
#pragma once

#include <glib.h>

// What the "proc" tap carries for each TCP, UDP or ICMP packet over IP.
struct proc_tap_info {
    const char* src;  // "curl (4242)", "[kernel]", or NULL when unknown
    const char* dst;
    guint32 bytes;    // the frame's length
};

void proto_register_proc(void);
void register_proc_stats_tree(void);
