// The "proc" protocol's fields: registered once (proc.src.*, proc.dst.*, the hidden
// either-end proc.pid and proc.name), and a packet's items added to its tree: all of
// them, or only those someone reads (a filter, a column, a tap, tshark's -T fields).
#pragma once

#include "ws_compat.h"

#include <epan/packet.h>

#include <string>

#include "owner_labels.hpp"
#include "side_owner.hpp"

namespace sockowner::plugin {

// Registers the fields and subtrees of protocol `proto`. Call from its registration.
void register_proc_fields(int proto);
// With tshark 4.0's -T fields (which builds every packet's whole tree): the proc fields
// its command line prints, as registration sees it, before tshark parses its options.
// Nothing elsewhere. Call at the end of the registration.
void find_printed_fields(int proto);

// Which items a packet's tree gets. All of them in a visible tree (the GUI's details,
// -V, PDML); where "proc" or one of its fields is referenced (a filter, a column, a
// tap, 4.2's -T fields -e) those referenced: a display filter builds an invisible tree
// for every packet, where ~25 items that nobody reads would cost more than the rest of
// the dissector; none otherwise. (A field referenced marks its protocol referenced
// "indirectly".) tshark 4.0's -T fields builds the whole visible tree since it cannot
// tell which fields it prints: there, those its command line names and those referenced.
// (Where a tap listener needs the whole tree, tshark 4.0's -T fields gets all of them:
// note_tap_listeners(), called when a file opens, after the listeners are registered.)
enum class Items { none, all, wanted };
void note_tap_listeners();
Items items_wanted(proto_tree* tree, int proto);

// Adds a packet's proc items under the protocol's item: every one, or only
// those wanted, and then no text subtrees, which nobody reads. (In an invisible tree
// Wireshark would fake the others; not calling it for them is cheaper still.)
class ItemAdder {
public:
    ItemAdder(proto_item* proc, tvbuff_t* tvb, Items items);

    // One end: the hidden label (for the Process columns) always; the rest when known:
    // `how` it was found, `source` how the collector learnt of its socket.
    void add_side(attribution::End end, attribution::How how, const char* source,
                  const attribution::OwnerLabels& l) const;
    // A process a capture's annotation names without saying which end it is (ptcpdump):
    // proc.pid and proc.name, which match either end anyway.
    void add_either(const attribution::OwnerLabels& l) const;

private:
    ItemAdder(proto_tree* tree, tvbuff_t* tvb, bool only_wanted);
    void add_uint(int hf, guint32 value, bool hidden = false) const;
    void add_string(int hf, const char* value, bool hidden = false) const;
    void add_string_if(int hf, const std::string& value) const;
    ItemAdder subtree(const char* title) const;
    bool wants(int hf) const;

    proto_tree* tree_;
    tvbuff_t* tvb_;
    bool only_wanted_;
};

}  // namespace sockowner::plugin
