/* SPDX-License-Identifier: GPL-2.0 */
/* Verifier-side helpers: who is running, what a socket's tuple is, emitting events. */
#ifndef SOCKOWNER_HELPERS_BPF_H
#define SOCKOWNER_HELPERS_BPF_H

#include "maps.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_ICMPV6 58
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&so_counters, &which);
	if (c)
		*c += 1;
}

/* The upgrade tests' "older build" (built with -DSO_TEST_VARIANT) differs from this one
 * in the programs that use this mark: cgroup hooks, a tracepoint and tp_btf hooks. */
#ifdef SO_TEST_VARIANT
#define SO_VARIANT_MARK() count(SO_CNT_VARIANT)
#else
#define SO_VARIANT_MARK() do {} while (0)
#endif

#define PF_KTHREAD 0x00200000

/* How many times the current process has exec()ed: (tgid, start, exec id) names one
 * program image, so that a socket a process keeps across exec() changes hands to the
 * new program. */
static __always_inline __u32 current_exec_id(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, group_leader, self_exec_id);
}

/* The current process: the thread-group leader's identity and name. */
static __always_inline void current_owner(struct so_owner *o)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	o->tgid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->uid = (__u32)uid_gid;
	o->gid = uid_gid >> 32;
	o->ppid = BPF_CORE_READ(leader, real_parent, tgid);
	o->exec_id = BPF_CORE_READ(leader, self_exec_id);
	o->start_ns = BPF_CORE_READ(leader, start_boottime);
	o->cgroup_id = bpf_get_current_cgroup_id();
	BPF_CORE_READ_STR_INTO(&o->comm, leader, comm);
}

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static __always_inline __u64 tuple_hash(const struct so_tuple *t, const struct so_owner *o)
{
	__u64 h = ((__u64)t->lport << 48) | ((__u64)t->rport << 32) | ((__u64)t->family << 16) | t->protocol;
	for (int i = 0; i < 4; i++) {
		h = mix(h, t->laddr[i]);
		h = mix(h, t->raddr[i]);
	}
	h = mix(h, o->tgid);
	h = mix(h, o->start_ns);
	h = mix(h, o->exec_id);
	return h ? h : 1;
}

/* Which address fields tuple_of() may read: post_bind4 programs may not touch the
 * IPv6 fields of their context, nor post_bind6 programs the IPv4 ones. */
#define SO_READ_V4 1
#define SO_READ_V6 2

/* The tuple of a socket as cgroup programs see it. An unconnected socket (listener,
 * unconnected UDP, ping) has no remote endpoint. Each field is read by its own load
 * before any branch: the verifier refuses loads through a pointer into the context
 * or socket that the compiler would otherwise select between branches. */
/* One load per field, at a constant offset from the socket pointer. */
#define SK_FIELD(sk, f) (*(volatile __typeof__((sk)->f) *)&(sk)->f)

static __always_inline void tuple_of(struct bpf_sock *sk, struct so_tuple *t, const int read)
{
	__u32 family = SK_FIELD(sk, family), state = SK_FIELD(sk, state);
	__u32 src[4] = {}, dst[4] = {};
	if (read & SO_READ_V4) {
		src[0] = SK_FIELD(sk, src_ip4);
		dst[0] = SK_FIELD(sk, dst_ip4);
	}
	if (read & SO_READ_V6) {
		__u32 s0 = SK_FIELD(sk, src_ip6[0]), s1 = SK_FIELD(sk, src_ip6[1]);
		__u32 s2 = SK_FIELD(sk, src_ip6[2]), s3 = SK_FIELD(sk, src_ip6[3]);
		__u32 d0 = SK_FIELD(sk, dst_ip6[0]), d1 = SK_FIELD(sk, dst_ip6[1]);
		__u32 d2 = SK_FIELD(sk, dst_ip6[2]), d3 = SK_FIELD(sk, dst_ip6[3]);
		if (family == AF_INET6) {
			src[0] = s0, src[1] = s1, src[2] = s2, src[3] = s3;
			dst[0] = d0, dst[1] = d1, dst[2] = d2, dst[3] = d3;
		}
	}
	__builtin_memset(t, 0, sizeof(*t));
	t->family = family;
	t->protocol = SK_FIELD(sk, protocol);
	t->sock_type = SK_FIELD(sk, type);
	t->lport = SK_FIELD(sk, src_port);
	t->rport = bpf_ntohs(SK_FIELD(sk, dst_port));
	for (int i = 0; i < 4; i++) {
		t->laddr[i] = src[i];
		t->raddr[i] = dst[i];
	}
	/* A TCP listener can carry a stale peer; only connected sockets have one. */
	if (t->protocol == IPPROTO_TCP && state == TCP_LISTEN) {
		t->rport = 0;
		__builtin_memset(t->raddr, 0, sizeof(t->raddr));
	}
}

/* The same, read from a kernel struct sock (tracepoints, iterators). */
static __always_inline void tuple_of_sock(struct sock *sk, struct so_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->protocol = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	t->sock_type = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type);
	t->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (t->family == AF_INET) {
		t->laddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		t->raddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&t->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&t->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	}
}

static __always_inline __u32 netns_of(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The current process's network namespace: a socket is created in its creator's.
 * (Socket pointers in cgroup programs may not be offset, so the socket's own
 * namespace cannot be read there.) */
static __always_inline __u32 current_netns(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
}

/* Returns false when the ring buffer was full (counted as lost). */
static __always_inline bool emit_socket(__u32 type, __u32 flags, __u64 since, __u64 sk, __u64 cookie,
					__u32 netns, const struct so_tuple *t, const struct so_owner *o)
{
	struct so_socket_event *e = bpf_ringbuf_reserve(&so_events, sizeof(*e), 0);
	if (!e) {
		count(SO_CNT_LOST);
		return false;
	}
	e->type = type;
	e->flags = flags | (t->rport ? SO_F_CONNECTED : 0);
	e->ts = bpf_ktime_get_boot_ns();
	e->since = since;
	e->sk = sk;
	e->cookie = cookie;
	e->netns = netns;
	e->pad = 0;
	e->tuple = *t;
	e->owner = *o;
	bpf_ringbuf_submit(e, 0);
	count(SO_CNT_EVENTS);
	return true;
}

/* Reports the socket with tuple `t` unless this tuple and owner were reported already;
 * a report the full ring buffer dropped is tried again with the next packet or use. */
static __always_inline void report_tuple(__u64 sk, struct so_sk_state *st, __u64 cookie, struct so_tuple *t)
{
	if (t->lport == 0 && t->protocol != IPPROTO_ICMP && t->protocol != IPPROTO_ICMPV6)
		return; /* not bound yet: nothing a packet could match */
	if (!st->owner.start_ns)
		return; /* accepted from a listener older than the programs: no owner yet */
	__u64 h = tuple_hash(t, &st->owner);
	if (h == st->emitted || emit_socket(SO_EV_SOCKET, st->inherited ? SO_F_INHERITED : 0, st->since, sk, cookie,
					    st->netns, t, &st->owner)) {
		st->emitted = h;
		st->since = 0;
		st->reported = 1;
		st->reported_connected = t->rport != 0;
	}
}

/* The same for the socket of a cgroup program. */
static __always_inline void report(struct bpf_sock *sk, struct so_sk_state *st, __u64 cookie, const int read)
{
	struct so_tuple t;
	tuple_of(sk, &t, read);
	report_tuple((__u64)sk, st, cookie, &t);
}

/* A socket's slot in so_reported. */
static __always_inline __u64 *reported_slot(__u32 lport)
{
	__u32 k = lport & 0xffff;
	return bpf_map_lookup_elem(&so_reported, &k);
}

/* The slot no longer says `sk` is reported (unless it holds another socket). */
static __always_inline void clear_slot(__u32 lport, __u64 sk)
{
	__u64 *slot = reported_slot(lport);
	if (slot)
		__sync_val_compare_and_swap(slot, sk, 0);
}

/* The socket's tuple or owner changed: packets must look again (and report). */
static __always_inline void unreport(struct so_sk_state *st, __u32 lport, __u64 sk)
{
	st->reported = 0;
	clear_slot(lport, sk); /* a full barrier after the store: see so_reported */
}

/* The socket's recorded owner is process `tgid`, its own (not a listener's copy): the
 * "owner again" test of every hook; those that must tell program images apart compare
 * the exec id too. */
static __always_inline bool owned_by(const struct so_sk_state *st, __u32 tgid)
{
	return st->owner.tgid == tgid && st->owner.start_ns && !st->inherited;
}

/* The calling process acts on the socket (bind, connect, listen, send, receive). It
 * becomes the owner when it is not already: at once while the socket has had no user
 * but its creator (or only the listener it was accepted from), and for its first
 * so_free_switches changes of hands; after that at most once per so_owner_switch_ns.
 * The new owner's interval begins at the previous owner's last use (`since`): what
 * arrived after it was read by the new owner. Returns true when the owner changed. */
static __always_inline bool take_owner(struct so_sk_state *st, __u64 cookie, __u64 now, __u32 lport, __u64 sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (owned_by(st, tgid) && st->owner.exec_id == current_exec_id()) {
		st->used = 1;
		st->last_use = now;
		return false;
	}
	bool handed = st->owner.start_ns && st->used && !st->inherited;
	if (handed && st->switches >= so_free_switches && now - st->owner_set < so_owner_switch_ns)
		return false;
	/* The previous owner's last use, when there was a previous user (an accepted
	 * socket: from when it was established). */
	st->since = (handed || st->inherited) ? st->last_use : 0;
	if (handed)
		st->switches++;
	current_owner(&st->owner);
	if (!st->netns)
		st->netns = current_netns();
	st->cookie = cookie;
	st->owner_set = now;
	st->last_use = now;
	st->inherited = 0;
	st->used = 1;
	unreport(st, lport, sk);
	return true;
}

/* A socket's state starting over for `cookie`: nothing reported, no previous owner to
 * hand over from; `inherited` when the owner is a listener's copied into it. */
static __always_inline void fresh_state(struct so_sk_state *st, __u64 cookie, __u32 inherited)
{
	st->cookie = cookie;
	st->inherited = inherited;
	st->emitted = 0;
	st->since = 0;
	st->switches = 0;
	st->used = 0;
	st->reported = 0;
	st->reported_connected = 0;
	st->owner_set = st->last_use = bpf_ktime_get_boot_ns();
}

/* The socket's state, created for sockets older than the programs (null, counted,
 * when the kernel cannot allocate it). */
static __always_inline struct so_sk_state *state_of(void *sk)
{
	struct so_sk_state *st = bpf_sk_storage_get(&so_sk_state, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		count(SO_CNT_NO_STORAGE);
	return st;
}

/* claim() for cgroup programs: the owner is taken now, the tuple reported by the next
 * packet (or by the caller). */
static __always_inline struct so_sk_state *claim(struct bpf_sock *sk, __u64 cookie)
{
	struct so_sk_state *st = state_of(sk);
	if (st)
		take_owner(st, cookie, bpf_ktime_get_boot_ns(), sk->src_port, (__u64)sk);
	return st;
}

#endif
