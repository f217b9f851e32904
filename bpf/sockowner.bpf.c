// SPDX-License-Identifier: GPL-2.0
/* sockowner kernel programs: record, in process context, which process owns each
 * socket, and report a socket's tuple and owner before its first packet leaves or
 * when its first packet arrives.
 *
 *   cgroup/sock_create           socket(): the creator owns it
 *   cgroup/post_bind4|6          bind(): the binder owns it; report listeners, UDP servers
 *   cgroup/connect4|6            connect(): the connecting process owns it
 *   cgroup/sendmsg4|6, recvmsg4|6  unconnected UDP: the sender/receiver owns it
 *   cgroup_skb/egress|ingress    first packet of a tuple: report (owner + tuple)
 *   tracepoint syscalls accept   accept(), accept4(): the accepting process owns it
 *   tracepoint inet_sock_set_state  TCP reached CLOSE: report the close
 *   cgroup/sock_release          other sockets closed
 *   tracepoint sched exec|exit   process images and exits, for short-lived processes
 *   iter/tcp, iter/udp           sockets that existed before the programs
 *
 * Only hooks available without kprobes or fentry, so that it runs on kernels that
 * have neither. Attribution never uses "whoever runs in softirq".
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
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		count(SO_CNT_NO_STORAGE);
		return 1;
	}
	current_owner(&st->owner);
	st->netns = current_netns();
	st->cookie = bpf_get_socket_cookie(sk);
	st->owner_set = bpf_ktime_get_boot_ns();
	st->emitted = 0;
	st->inherited = 0;
	st->used = 0;
	return 1;
}

/* A bound UDP, ICMP or raw socket can receive: report it now. A TCP socket is
 * reported when it listens (inet_sock_set_state) or sends its SYN. */
static __always_inline int on_bind(struct bpf_sock *sk, const int read)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct so_sk_state *st = claim(sk, cookie);
	if (st && sk->protocol != IPPROTO_TCP)
		report(sk, st, cookie, read);
	return 1;
}

SEC("cgroup/post_bind4")
int so_post_bind4(struct bpf_sock *sk) { return on_bind(sk, SO_READ_V4); }

SEC("cgroup/post_bind6")
int so_post_bind6(struct bpf_sock *sk) { return on_bind(sk, SO_READ_V6); }

/* connect(), sendmsg() and recvmsg() hooks run before the call completes: the tuple is
 * reported by the first packet; here only the owner is taken. */
static __always_inline int on_sock_addr(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	if (sk)
		claim(sk, bpf_get_socket_cookie(ctx));
	return 1;
}

SEC("cgroup/connect4")
int so_connect4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }
SEC("cgroup/connect6")
int so_connect6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }
SEC("cgroup/sendmsg4")
int so_sendmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }
SEC("cgroup/sendmsg6")
int so_sendmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }
SEC("cgroup/recvmsg4")
int so_recvmsg4(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }
SEC("cgroup/recvmsg6")
int so_recvmsg6(struct bpf_sock_addr *ctx) { return on_sock_addr(ctx); }

/* ---- packets: report a socket the first time a tuple is seen ------------------ */

static __always_inline int on_skb(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1; /* request and time-wait sockets: the full socket reports */
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (!st)
		return 1; /* older than the programs: the start-up snapshot has it */
	__u64 cookie = bpf_get_socket_cookie(skb);
	if (st->cookie != cookie) {
		/* A copy of the listener's state in a socket it accepted. */
		st->cookie = cookie;
		st->inherited = 1;
		st->emitted = 0;
	}
	report(sk, st, cookie, SO_READ_V4 | SO_READ_V6);
	return 1;
}

SEC("cgroup_skb/egress")
int so_egress(struct __sk_buff *skb) { return on_skb(skb); }

SEC("cgroup_skb/ingress")
int so_ingress(struct __sk_buff *skb) { return on_skb(skb); }

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
	emit_socket(SO_EV_ACCEPT, 0, (__u64)sk, cookie, netns_of(sk), &t, &o);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int so_exit_accept(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int so_exit_accept4(struct trace_event_raw_sys_exit *ctx) { return on_accept_exit(ctx->ret); }

/* ---- close ------------------------------------------------------------------- */

static __always_inline void emit_close(__u64 sk)
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
	bpf_ringbuf_submit(e, 0);
	count(SO_CNT_EVENTS);
}

/* listen() runs in the listening process: it owns the listener. TCP sockets live on
 * after close() until the FIN exchange ends: they close at CLOSE. */
SEC("tracepoint/sock/inet_sock_set_state")
int so_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_CLOSE) {
		emit_close((__u64)ctx->skaddr);
	} else if (ctx->newstate == TCP_LISTEN) {
		struct sock *sk = (struct sock *)ctx->skaddr;
		struct so_tuple t;
		struct so_owner o;
		tuple_of_sock(sk, &t);
		t.rport = 0;
		__builtin_memset(t.raddr, 0, sizeof(t.raddr));
		current_owner(&o);
		emit_socket(SO_EV_SOCKET, 0, (__u64)sk, 0, netns_of(sk), &t, &o);
	}
	return 0;
}

/* Everything else closes when released; a TCP socket released in CLOSE state (never
 * connected, or already closed) never reaches the state tracepoint again. */
SEC("cgroup/sock_release")
int so_sock_release(struct bpf_sock *sk)
{
	if (sk->protocol == IPPROTO_TCP && sk->state != TCP_CLOSE)
		return 1;
	if (bpf_sk_storage_get(&so_sk_state, sk, 0, 0))
		emit_close((__u64)sk);
	return 1;
}

/* ---- processes ------------------------------------------------------------------ */

SEC("tracepoint/sched/sched_process_exec")
int so_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 zero = 0;
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
	BPF_CORE_READ_INTO(&r.cookie, sk, __sk_common.skc_cookie.counter);
	r.inode = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, 0);
	if (st && st->owner.start_ns) {
		r.has_owner = 1;
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
