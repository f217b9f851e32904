// The only place that knows which Wireshark the plugin is built against: 4.0, 4.2,
// 4.4 or 4.6 (CMake refuses others). Everything else uses the names defined here, and
// the modern API wherever the running version has it.
//
// Checked against Debian's headers: 4.0.17 (bookworm), 4.4.19 (trixie), 4.6.9 (sid).
// Other differences the plugin does not meet today, to be wrapped here when it does:
// tvb_get_guintN() is tvb_get_uintN() from 4.4; epan/value_string.h moved to wsutil/
// and val_to_str() takes a wmem scope in 4.6; the glib types (guint, gboolean) remain
// but the headers use the C99 ones from 4.2.
#pragma once

#include <wireshark.h>  // WIRESHARK_VERSION_MAJOR/MINOR (ws_version.h), ws_log

#define PROC_WS_AT_LEAST(major, minor) \
    (WIRESHARK_VERSION_MAJOR > (major) || (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

#if !PROC_WS_AT_LEAST(4, 0) || PROC_WS_AT_LEAST(4, 7)
#error "sockowner's plugin supports Wireshark 4.0 to 4.6"
#endif

// The variable behind a boolean preference: gboolean until 4.2, bool from 4.4 on
// (prefs_register_bool_preference's last parameter).
#if PROC_WS_AT_LEAST(4, 4)
typedef bool proc_pref_bool;
#define PROC_PREF_TRUE true
#define PROC_PREF_FALSE false
#else
typedef gboolean proc_pref_bool;
#define PROC_PREF_TRUE TRUE
#define PROC_PREF_FALSE FALSE
#endif

// Debug messages shown with --log-debug proc. From 4.4 on ws_debug() compiles to nothing
// unless Wireshark itself was built with WS_DEBUG; ws_log() checks the level at run time
// on every version.
#define proc_debug(...) ws_log(WS_LOG_DOMAIN, LOG_LEVEL_DEBUG, __VA_ARGS__)

// plugin_describe(): what kind of plugin this is, shown by `tshark -G plugins`; from 4.2 on.
#if PROC_WS_AT_LEAST(4, 2)
#include <wsutil/plugins.h>
#define PROC_HAVE_PLUGIN_DESCRIBE 1
#define PROC_PLUGIN_DESCRIPTION (WS_PLUGIN_DESC_DISSECTOR | WS_PLUGIN_DESC_TAP_LISTENER)
#else
#define PROC_HAVE_PLUGIN_DESCRIBE 0
#endif
