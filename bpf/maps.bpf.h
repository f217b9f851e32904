/* SPDX-License-Identifier: GPL-2.0 */
/* Every map and load-time setting, declared once. The collector pins the first three
 * under its pin directory (collector/ebpf_pins.cpp), so that a restarted collector finds
 * the socket owners and the events that queued up while it was down. */
#ifndef SOCKOWNER_MAPS_BPF_H
#define SOCKOWNER_MAPS_BPF_H

#include "sockowner_abi.h"

/* Per-socket state, kept with the socket by the kernel and freed with it. BPF_F_CLONE
 * copies a listener's state into the sockets it accepts, so that an accepted socket
 * has an owner (marked inherited) until accept() names the real one. */
struct so_sk_state {
	struct so_owner owner;
	__u64 cookie;     /* cookie of the socket this state was written for: a copy in an
	                     accepted socket still carries the listener's */
	__u64 emitted;    /* hash of the tuple + owner last reported; 0: none yet */
	__u64 owner_set;  /* boot ns when the owner last changed */
	__u64 last_use;   /* boot ns of the owner's last bind/connect/listen/send/receive */
	__u64 since;      /* for the next report: where this owner's interval begins (the
	                     previous owner's last use); 0: at the report */
	__u32 netns;      /* network namespace inode, from the process that created it */
	__u32 inherited;  /* owner copied from the listener */
	__u32 used;       /* the owner was set by a send/receive/connect/bind, not by socket() */
	__u32 switches;   /* owner changes after the first use */
	__u32 reported;   /* this owner and the socket's present tuple were reported: packets
	                     need no more work until a hook that changes either clears it */
	__u32 reported_connected; /* ... with a remote end (a UDP disconnect changes the tuple) */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct so_sk_state);
} so_sk_state SEC(".maps");

/* Sockets whose present tuple and owner were reported, by local port (a ping socket's
 * ICMP id): for a UDP or ICMP packet the per-packet programs' check is one load from
 * here instead of a socket-storage lookup (measured in this VM: 60 to 80 ns less a
 * packet). A slot holds the socket's address. A packet that finds its socket reported
 * sets the slot, then reads `reported` again, so that a clear running at the same time
 * is not lost; `unreport()` clears a socket's slot wherever it clears `reported`, and
 * release and TCP close clear it, so that a later socket at the same address and port
 * does not inherit it. Of sockets sharing a port, the first reported keeps its slot
 * until it is cleared; the others take the storage lookup, as every socket did before.
 * Pinned, so that every attached program uses one copy. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} so_reported SEC(".maps");

/* Events to the collector, in order. Its size is set by the collector before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} so_events SEC(".maps");

/* enum so_counter, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SO_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} so_counters SEC(".maps");

/* Scratch space for exec events, too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct so_exec_event);
} so_exec_scratch SEC(".maps");

/* Ownership follows use: a socket changes hands when another process uses it. After
 * so_free_switches changes, at most once per so_owner_switch_ns, so that a socket that
 * worker processes take turns on does not flood the journal. */
const volatile __u64 so_owner_switch_ns = 1000000000ULL;
const volatile __u32 so_free_switches = 4;

/* Set by the collector when the send/receive tracepoints (so_send, so_recv) are loaded:
 * they record every use after the call, so the cgroup sendmsg/recvmsg hooks need not
 * when the caller already owns the socket. */
const volatile __u32 so_uses_followed = 0;

#endif
