// The C entry points Wireshark looks up in a plugin (exports.map keeps the rest local).
#include "ws_compat.h"

#include <epan/proto.h>

#include "packet-proc.hpp"

#ifndef SOCKOWNER_VERSION
#define SOCKOWNER_VERSION "unknown"
#endif

// Declared before their definitions: a namespace-scope const has internal linkage in
// C++ unless an extern declaration precedes it.
extern "C" {
WS_DLL_PUBLIC const char plugin_version[];
WS_DLL_PUBLIC const int plugin_want_major;
WS_DLL_PUBLIC const int plugin_want_minor;
WS_DLL_PUBLIC void plugin_register(void);
#if PROC_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);
#endif
}

const char plugin_version[] = SOCKOWNER_VERSION;
const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

void plugin_register(void) {
    // No handoff: the postdissector reads packet_info and the frame's bytes, no foreign fields.
    static const proto_plugin plugin = {proto_register_proc, nullptr};
    proto_register_plugin(&plugin);
}

#if PROC_HAVE_PLUGIN_DESCRIBE
uint32_t plugin_describe(void) { return PROC_PLUGIN_DESCRIPTION; }
#endif
