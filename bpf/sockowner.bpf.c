// SPDX-License-Identifier: GPL-2.0
/* sockowner kernel programs: record, in process context, which process owns each
 * socket, and report a socket's tuple and owner before its first packet leaves or
 * when its first packet arrives.
 *
 *   cgroup/sock_create           socket(): the creator owns it
 *   cgroup/post_bind4|6          bind(): the binder owns it; report listeners, UDP servers
 *   cgroup/connect4|6            connect(): the connecting process owns it
 *   cgroup/sendmsg4|6, recvmsg4|6  unconnected UDP: the sender/receiver owns it
 *   sockops (TCP connect)        a TCP client: report, its port chosen, its SYN unsent
 *   cgroup_skb/egress|ingress    first packet of a UDP/ICMP tuple: report (owner + tuple);
 *                                TCP packets leave after one check
 *   tp_btf sock_send_length,     every send and receive (Linux 6.3+): a process other
 *          sock_recv_length      than the owner (a forked child, a program after exec,
 *                                a receiver of SCM_RIGHTS) takes the socket over
 *   tracepoint syscalls accept   accept(), accept4(): the accepting process owns it
 *   tp_btf inet_sock_set_state   TCP listen(); an accepted socket established (and a
 *                                client the connect callback missed); CLOSE
 *   cgroup/sock_release          other sockets closed
 *   tracepoint sched exec|exit   process images and exits, for short-lived processes
 *   iter/tcp, iter/udp           sockets that existed before the programs
 *
 * Only hooks available without kprobes or fentry (tp_btf needs BTF, not trampolines),
 * so that it runs on kernels that have neither. Attribution never uses "whoever runs
 * in softirq": softirq programs only report owners recorded in process context.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "helpers.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- socket() and the calls that name a socket's owner ---------------------- */

SEC("cgroup/sock_create")
int so_sock_create(struct bpf_sock *sk)
{
	SO_VARIANT_MARK();
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		count(SO_CNT_NO_STORAGE);
		return 1;
	}
	current_owner(&st->owner);
	st->netns = current_netns();
	fresh_state(st, bpf_get_socket_cookie(sk), 0);
	return 1;
}

/* A bound UDP, ICMP or raw socket can receive: report it now. A TCP socket is
 * reported when it listens (inet_sock_set_state) or connects (sockops). */
static __always_inline int on_bind(struct bpf_sock *sk, const int read)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct so_sk_state *st = claim(sk, cookie);
	if (st)
		unreport(st, sk->src_port, (__u64)sk); /* a new local end */
	if (st && sk->protocol != IPPROTO_TCP)
		report(sk, st, cookie, read);
	return 1;
}

SEC("cgroup/post_bind4")
int so_post_bind4(struct bpf_sock *sk) { return on_bind(sk, SO_READ_V4); }

SEC("cgroup/post_bind6")
int so_post_bind6(struct bpf_sock *sk) { return on_bind(sk, SO_READ_V6); }

/* connect(), sendmsg() and recvmsg() hooks run before the call completes: the tuple is
 * reported by the first packet (TCP: by the connect callback); here only the owner is
 * taken. connect() gives a new
 * remote end; sendmsg()/recvmsg() with an address are an unconnected socket's, so a
 * socket reported connected has been disconnected (connect(AF_UNSPEC)). */
static __always_inline int on_sock_addr(struct bpf_sock_addr *ctx, const bool connecting)
{
	struct bpf_sock *sk = ctx->sk;
	if (!sk)
		return 1;
	/* An unconnected UDP socket's every datagram passes here (a DNS server's): when its
	 * owner sends or receives again and the send/receive tracepoints follow uses, there is
	 * nothing to record before the call (no clock, no task reads). An exec since is seen
	 * by the tracepoint after the call, whose interval then starts at the last use. */
	if (!connecting && so_uses_followed) {
		struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
		if (st && owned_by(st, bpf_get_current_pid_tgid() >> 32) && st->used &&
		    st->cookie == bpf_get_socket_cookie(ctx)) {
			if (st->reported_connected)
				unreport(st, sk->src_port, (__u64)sk);
			return 1;
		}
	}
	struct so_sk_state *st = claim(sk, bpf_get_socket_cookie(ctx));
	if (st && (connecting || st->reported_connected))
		unreport(st, sk->src_port, (__u64)sk);
	return 1;
}

SEC("cgroup/connect4")
int so_connect4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, true); }
SEC("cgroup/connect6")
int so_connect6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, true); }
SEC("cgroup/sendmsg4")
int so_sendmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, false); }
SEC("cgroup/sendmsg6")
int so_sendmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, false); }
SEC("cgroup/recvmsg4")
int so_recvmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, false); }
SEC("cgroup/recvmsg6")
int so_recvmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx, false); }

/* ---- packets: report a socket the first time a tuple is seen ------------------ */

/* BPF_F_CLONE copied the listener's state into a socket it accepted: the listener's
 * owner stands (marked inherited) until a process accepts or uses the socket. */
static __always_inline void adopt_listener_copy(struct so_sk_state *st, __u64 cookie)
{
	fresh_state(st, cookie, 1);
}

/* The packet is TCP, read from its IP header (hot: the stack just wrote or parsed it),
 * not from the socket (whose lines are often cold: measured, a helper call or a socket
 * storage lookup costs a packet 20 to 100 ns on a VM). IPv6 extension headers before
 * TCP are not followed: such packets take the general path, which is correct too. */
static __always_inline bool carries_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;
		return (void *)(ip + 1) <= end && ip->protocol == IPPROTO_TCP;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;
		return (void *)(ip6 + 1) <= end && ip6->nexthdr == IPPROTO_TCP;
	}
	return false;
}

/* tcp_by_events: TCP sockets are reported by their connection events (sockops connect,
 * the state tracepoint's listen and accept; a report the full ring buffer dropped is
 * tried again by the next send or receive), so TCP packets leave after one check. A
 * constant of each program, not a load-time setting: a setting is a memory load that
 * every packet would pay for (measured: ~15 ns). */
static __always_inline int on_skb(struct __sk_buff *skb, const bool tcp_by_events)
{
	if (tcp_by_events && carries_tcp(skb))
		return 1; /* reported by its connection events: no per-packet work */
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return 1;
	__u64 *slot = 0;
	if (tcp_by_events) {
		slot = reported_slot(sk->src_port);
		if (slot && *slot == (__u64)sk)
			return 1; /* nothing new to learn: the per-packet cost is this check */
	}
	/* Null for request and time-wait sockets (the full socket reports) and for sockets
	 * older than the programs (the start-up snapshot has them). */
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (!st)
		return 1;
	/* Only a TCP socket's state is ever copied into another socket (accept()): with
	 * TCP reported by its events, a state reported is this socket's own. */
	if (tcp_by_events && st->reported) {
		/* A free slot only: sockets sharing a port (a reuseport group) do not take it
		 * from each other on every packet, bouncing its cache line between CPUs. */
		if (slot && !*slot && !__sync_val_compare_and_swap(slot, 0, (__u64)sk) &&
		    !*(volatile __u32 *)&st->reported) /* cleared meanwhile */
			__sync_val_compare_and_swap(slot, (__u64)sk, 0);
		return 1;
	}
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	__u64 cookie = bpf_get_socket_cookie(skb);
	if (st->reported && st->cookie == cookie)
		return 1;
	if (st->cookie != cookie)
		adopt_listener_copy(st, cookie); /* established before the programs saw it */
	report(sk, st, cookie, SO_READ_V4 | SO_READ_V6);
	return 1;
}

/* A TCP client (connect(), or sendto() with TCP Fast Open), in the connecting process:
 * its local port is chosen and its SYN not yet sent. connect4/6 took the owner. */
SEC("sockops")
int so_sockops(struct bpf_sock_ops *ops)
{
	if (ops->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	struct bpf_sock *sk = ops->sk;
	if (!sk)
		return 1;
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (!st)
		return 1; /* older than the programs: the start-up snapshot has it */
	report(sk, st, bpf_get_socket_cookie(ops), SO_READ_V4 | SO_READ_V6);
	return 1;
}

SEC("cgroup_skb/egress")
int so_egress(struct __sk_buff *skb) { return on_skb(skb, true); }

SEC("cgroup_skb/ingress")
int so_ingress(struct __sk_buff *skb) { return on_skb(skb, true); }

/* Kernels without the inet_sock_set_state tracepoint: every packet, TCP too. */
SEC("cgroup_skb/egress")
int so_egress_all(struct __sk_buff *skb) { return on_skb(skb, false); }

SEC("cgroup_skb/ingress")
int so_ingress_all(struct __sk_buff *skb) { return on_skb(skb, false); }

/* ---- every send and receive: ownership follows use --------------------------- */

/* A process sent or received on the socket (in its own context, after the call). When
 * it is not the owner it takes the socket over, and the change is reported at once. */
static __always_inline int on_use(struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	__u64 now = bpf_ktime_get_boot_ns();
	/* The owner again: the common case, kept short (direct BTF loads, no helpers). */
	if (st && owned_by(st, tgid) && st->reported &&
	    st->owner.exec_id == (__u32)task->group_leader->self_exec_id) {
		st->last_use = now;
		if (!st->used)
			st->used = 1;
		return 0;
	}
	SO_VARIANT_MARK();
	/* Kernel threads using sockets (NFS, iSCSI) are not their owners. */
	if ((task->flags & PF_KTHREAD) || BPF_CORE_READ_BITFIELD(sk, sk_kern_sock))
		return 0;
	if (!st)
		st = state_of(sk); /* older than the programs: the snapshot knew it; now a user does */
	if (!st)
		return 0;
	__u64 cookie = bpf_get_socket_cookie(sk);
	if (st->cookie != cookie && st->owner.start_ns)
		adopt_listener_copy(st, cookie);
	if (!take_owner(st, cookie, now, sk->__sk_common.skc_num, (__u64)sk) && st->reported)
		return 0; /* else a report the full ring buffer dropped: tried again */
	struct so_tuple t;
	tuple_of_sock(sk, &t);
	if (t.protocol == IPPROTO_TCP && sk->__sk_common.skc_state == TCP_LISTEN) {
		t.rport = 0;
		__builtin_memset(t.raddr, 0, sizeof(t.raddr));
	}
	report_tuple((__u64)sk, st, cookie, &t);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(so_send, struct sock *sk, int ret, int flags) { return on_use(sk); }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(so_recv, struct sock *sk, int ret, int flags) { return on_use(sk); }

/* ---- accept(): the accepting process, not the listener's, owns the socket ------ */

static __always_inline int on_accept_exit(long fd)
{
	if (fd < 0)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *file = 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	struct so_tuple t;
	struct so_owner o;
	tuple_of_sock(sk, &t);
	current_owner(&o);
	__u64 cookie = 0;
	BPF_CORE_READ_INTO(&cookie, sk, __sk_common.skc_cookie.counter);
	emit_socket(SO_EV_ACCEPT, 0, 0, (__u64)sk, cookie, netns_of(sk), &t, &o);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int so_exit_accept(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int so_exit_accept4(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx->ret); }

/* ---- TCP state: listen(), an accepted socket established, close -------------- */

static __always_inline void emit_close(__u64 sk, __u64 cookie)
{
	struct so_close_event *e = bpf_ringbuf_reserve(&so_events, sizeof(*e), 0);
	if (!e) {
		count(SO_CNT_LOST);
		return;
	}
	e->type = SO_EV_CLOSE;
	e->pad = 0;
	e->ts = bpf_ktime_get_boot_ns();
	e->sk = sk;
	e->cookie = cookie;
	bpf_ringbuf_submit(e, 0);
	count(SO_CNT_EVENTS);
}

/* listen() runs in the listening process: it owns the listener. An accepted socket is
 * established before accept() can return it: its cookie is made here, so that
 * accept() reports the same identity, and it is reported with the listener's owner
 * (inherited). TCP sockets live on after close() until the FIN exchange ends: they
 * close at CLOSE. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(so_state, struct sock *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ_BITFIELD(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_CLOSE) {
		clear_slot(sk->__sk_common.skc_num, (__u64)sk); /* IPv6 extension headers can set it */
		emit_close((__u64)sk, bpf_get_socket_cookie(sk));
		return 0;
	}
	struct so_sk_state *st;
	__u64 cookie;
	struct so_tuple t;
	if (newstate == TCP_LISTEN) {
		st = state_of(sk);
		if (!st)
			return 0;
		cookie = bpf_get_socket_cookie(sk);
		take_owner(st, cookie, bpf_ktime_get_boot_ns(), sk->__sk_common.skc_num, (__u64)sk);
		tuple_of_sock(sk, &t);
		t.rport = 0;
		__builtin_memset(t.raddr, 0, sizeof(t.raddr));
		report_tuple((__u64)sk, st, cookie, &t);
	} else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		cookie = bpf_get_socket_cookie(sk);
		st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
		if (st && st->cookie == cookie)
			return 0;
		if (!st) {
			/* A listener older than the programs: no owner to report until accept()
			 * names one, but the socket's birth, for a later hand-off. */
			st = state_of(sk);
			if (!st)
				return 0;
			__builtin_memset(&st->owner, 0, sizeof(st->owner));
		}
		adopt_listener_copy(st, cookie);
		tuple_of_sock(sk, &t);
		report_tuple((__u64)sk, st, cookie, &t);
	} else if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		/* A client the connect callback did not report (a TCP_REPAIR restore does not
		 * send a SYN; a report the full ring buffer dropped): now, with its owner from
		 * connect(). */
		st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
		if (!st || st->reported)
			return 0;
		cookie = bpf_get_socket_cookie(sk);
		if (st->cookie != cookie)
			return 0;
		tuple_of_sock(sk, &t);
		report_tuple((__u64)sk, st, cookie, &t);
	}
	return 0;
}

/* The struct sock behind a cgroup/sock program's context (Linux 6.2+), whose local port
 * those programs may not read through the context. Weak: the collector loads the program
 * that calls it only where the kernel has it. */
extern void *bpf_cast_to_kern_ctx(void *ctx) __ksym __weak;

/* Everything else closes when released; a TCP socket released in CLOSE state (never
 * connected, or already closed) never reaches the state tracepoint again. With
 * `clear`, the socket's so_reported slot is cleared too (the slot is trusted by the
 * per-packet programs only where it is). */
static __always_inline int on_release(struct bpf_sock *sk, const bool clear)
{
	SO_VARIANT_MARK();
	if (sk->protocol == IPPROTO_TCP && sk->state != TCP_CLOSE)
		return 1;
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (!st)
		return 1;
	if (clear) {
		struct sock *ks = bpf_cast_to_kern_ctx(sk);
		unreport(st, ks->__sk_common.skc_num, (__u64)ks);
	}
	emit_close((__u64)sk, bpf_get_socket_cookie(sk));
	return 1;
}

SEC("cgroup/sock_release")
int so_sock_release(struct bpf_sock *sk) { return on_release(sk, true); }

/* Kernels without bpf_cast_to_kern_ctx: with so_egress_all and so_ingress_all. */
SEC("cgroup/sock_release")
int so_sock_release_noslot(struct bpf_sock *sk) { return on_release(sk, false); }

/* ---- processes ------------------------------------------------------------------ */

SEC("tracepoint/sched/sched_process_exec")
int so_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 zero = 0;
	SO_VARIANT_MARK();
	struct so_exec_event *e = bpf_map_lookup_elem(&so_exec_scratch, &zero);
	if (!e)
		return 0;
	e->type = SO_EV_EXEC;
	e->ts = bpf_ktime_get_boot_ns();
	current_owner(&e->owner);
	unsigned int loc = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + loc);
	e->path_len = n > 0 ? n - 1 : 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = arg_end - arg_start;
	if (len > SO_ARGS_LEN)
		len = SO_ARGS_LEN;
	e->args_len = 0;
	if (len > 0 && bpf_probe_read_user(e->args, len, (void *)arg_start) == 0)
		e->args_len = len;
	if (bpf_ringbuf_output(&so_events, e, sizeof(*e), 0))
		count(SO_CNT_LOST);
	else
		count(SO_CNT_EVENTS);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int so_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)pid_tgid != (__u32)(pid_tgid >> 32))
		return 0; /* a thread, not the process */
	struct so_exit_event *e = bpf_ringbuf_reserve(&so_events, sizeof(*e), 0);
	if (!e) {
		count(SO_CNT_LOST);
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->type = SO_EV_EXIT;
	e->tgid = pid_tgid >> 32;
	e->ts = bpf_ktime_get_boot_ns();
	e->start_ns = BPF_CORE_READ(task, start_boottime);
	bpf_ringbuf_submit(e, 0);
	count(SO_CNT_EVENTS);
	return 0;
}

/* ---- start-up snapshot: every TCP and UDP socket and its owner if known ---------- */

static __always_inline void iter_record(struct seq_file *seq, struct sock *sk, __u32 state)
{
	struct so_iter_record r;
	__builtin_memset(&r, 0, sizeof(r));
	r.sk = (__u64)sk;
	r.state = state;
	tuple_of_sock(sk, &r.tuple);
	if (state == TCP_LISTEN) {
		r.tuple.rport = 0;
		__builtin_memset(r.tuple.raddr, 0, sizeof(r.tuple.raddr));
	}
	r.netns = netns_of(sk);
	r.cookie = bpf_get_socket_cookie(sk); /* made now for sockets older than the programs */
	r.inode = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (st && st->owner.start_ns) {
		/* A listener's copy not yet claimed by accept() or a use is the listener's. */
		bool copy = st->inherited || st->cookie != r.cookie;
		r.flags = SO_F_OWNED | (copy ? SO_F_INHERITED : 0);
		r.owner = st->owner;
	}
	bpf_seq_write(seq, &r, sizeof(r));
}

SEC("iter/tcp")
int so_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0;
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0; /* time-wait and request sockets have no owner */
	struct sock *sk = (struct sock *)tp;
	iter_record(ctx->meta->seq, sk, BPF_CORE_READ(sk, __sk_common.skc_state));
	return 0;
}

SEC("iter/udp")
int so_iter_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;
	if (!udp)
		return 0;
	struct sock *sk = (struct sock *)udp;
	iter_record(ctx->meta->seq, sk, BPF_CORE_READ(sk, __sk_common.skc_state));
	return 0;
}
