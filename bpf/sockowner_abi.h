/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by the kernel programs (sockowner.bpf.c) and the collector.
 * Fixed-width fields only; every struct is a multiple of 8 bytes. Changing any of
 * them changes SO_ABI_VERSION, so that a collector never reuses pinned programs that
 * speak another layout. */
#ifndef SOCKOWNER_ABI_H
#define SOCKOWNER_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SO_ABI_VERSION 2
#define SO_COMM_LEN 16
#define SO_PATH_LEN 256
#define SO_ARGS_LEN 256

enum so_event_type {
	SO_EV_SOCKET = 1, /* a socket's tuple became known or changed, or its owner changed */
	SO_EV_ACCEPT = 2, /* accept() returned this socket to this process */
	SO_EV_CLOSE = 3,  /* the socket is gone (TCP: reached CLOSE; others: released) */
	SO_EV_EXEC = 4,   /* a process image: its executable and arguments */
	SO_EV_EXIT = 5,   /* a process (thread-group leader) exited */
};

enum so_socket_flags {
	SO_F_INHERITED = 1, /* owner copied from the listener into an accepted socket */
	SO_F_CONNECTED = 2, /* remote endpoint known */
	SO_F_OWNED = 4,     /* (iterator records) the socket has a recorded owner */
};

/* The process a socket belongs to: its thread-group leader. */
struct so_owner {
	__u32 tgid;
	__u32 tid;      /* the thread that acted (diagnostics only) */
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 exec_id;  /* the leader's exec count: a new program image in the same process */
	__u64 start_ns; /* leader's start time, boot clock: (tgid, start_ns) names a process */
	__u64 cgroup_id;
	char comm[SO_COMM_LEN]; /* leader's comm, not the calling thread's */
};

/* Addresses in network byte order; IPv4 in addr[0]. Ports in host order. For ICMP
 * echo sockets the local "port" is the echo identifier; for raw sockets it is the
 * IP protocol. */
struct so_tuple {
	__u32 laddr[4];
	__u32 raddr[4];
	__u16 lport;
	__u16 rport;
	__u16 family;   /* AF_INET or AF_INET6: the socket's family */
	__u8 protocol;  /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, or the raw protocol */
	__u8 sock_type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
};

/* SO_EV_SOCKET, SO_EV_ACCEPT */
struct so_socket_event {
	__u32 type;
	__u32 flags;
	__u64 ts;     /* boot clock, ns */
	__u64 since;  /* when the owner changed hands: the previous owner's last use, where
	                 this owner's interval begins; 0: at ts */
	__u64 sk;     /* struct sock address (diagnostics: reused after the socket is freed) */
	__u64 cookie; /* socket cookie: the socket's identity (0 where it cannot be read) */
	__u32 netns;  /* network namespace inode */
	__u32 pad;
	struct so_tuple tuple;
	struct so_owner owner;
};

/* SO_EV_CLOSE */
struct so_close_event {
	__u32 type;
	__u32 pad;
	__u64 ts;
	__u64 sk;
	__u64 cookie;
};

/* SO_EV_EXEC */
struct so_exec_event {
	__u32 type;
	__u16 path_len; /* bytes used in path, args (args: NUL-separated) */
	__u16 args_len;
	__u64 ts;
	struct so_owner owner;
	char path[SO_PATH_LEN];
	char args[SO_ARGS_LEN];
};

/* SO_EV_EXIT */
struct so_exit_event {
	__u32 type;
	__u32 tgid;
	__u64 ts;
	__u64 start_ns;
};

/* One socket as the start-up iterators see it (written with bpf_seq_write). */
struct so_iter_record {
	__u64 sk;
	__u64 cookie;
	__u64 inode;    /* socket inode: joins /proc/PID/fd for sockets without an owner */
	__u32 netns;
	__u32 flags;    /* SO_F_OWNED, SO_F_INHERITED */
	__u32 state;
	__u32 pad;
	struct so_tuple tuple;
	struct so_owner owner;
};

/* Per-CPU counters (the `counters` map), read by the collector. */
enum so_counter {
	SO_CNT_EVENTS = 0,  /* events written to the ring buffer */
	SO_CNT_LOST = 1,    /* events dropped because the ring buffer was full */
	SO_CNT_NO_STORAGE = 2, /* sk_storage allocation failed */
	SO_CNT_VARIANT = 3, /* counted only by the upgrade test's variant build */
	SO_CNT_MAX = 4,
};

#endif
