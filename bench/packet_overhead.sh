#!/usr/bin/env bash
# What the kernel programs cost per packet and per send/receive, against empty programs
# attached the same way (the hook and bpf_stats themselves), in one run:
#
#   sudo bench/packet_overhead.sh [BUILD_DIR] [ROUNDS] [MESSAGES]
#
# A loopback TCP and a UDP request/response (MESSAGES each, pinned to CPU 0) run while
# (a) two empty cgroup_skb programs and two empty tp_btf sock_send/recv_length programs
# are attached to the root cgroup, then (b) the collector's programs. A third workload,
# unconnected UDP (sendto/recvfrom: a DNS server's datagrams), runs through the cgroup
# sendmsg4/recvmsg4 hooks too, measured against empty ones in the same way; a fourth, a
# burst of small datagrams (2 x MESSAGES connected-UDP datagrams of 32 bytes, sent 64 at
# a time, then read), is timed only. bpf_stats gives
# each program's run count and run time: ns per run, medians over ROUNDS alternating
# rounds, and our cost above the empty floor. The same rounds time the workloads with
# no programs, with the empty programs (what the hooks themselves cost) and with the
# collector running: the ratios are what a workload pays, and how much of it is the
# hooks' and how much our programs' work. TCP and UDP packets are timed apart (TCP
# packets leave our programs after one check: TCP is reported by connection events). And
# where the send/receive hook's time goes: programs doing one part of its work each
# (socket storage, the current task, the clock), attached with the empty ones; and
# what a connected UDP packet's check costs, built up one load at a time (protocol,
# socket port, slot).
set -euo pipefail
build=${1:-build}
rounds=${2:-5}
msgs=${3:-100000}
S=$build/collector/sockowner
[ "$(id -u)" -eq 0 ] || { echo "packet_overhead: needs root" >&2; exit 1; }
[ -x "$S" ] || { echo "packet_overhead: no $S (build first)" >&2; exit 1; }
. "$(dirname "$0")/kernel_bench_lib.sh"
no_other_programs
work=$(mktemp -d /tmp/sockowner-overhead-XXXXXX)
pins=/sys/fs/bpf/sockowner-bench-$$
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
collector="" holder=""
cleanup() {
  [ -z "$collector" ] || { kill "$collector" 2>/dev/null; wait "$collector" 2>/dev/null || true; }
  [ -z "$holder" ] || kill $holder 2>/dev/null || true
  "$S" cleanup --pin-dir "$pins" >/dev/null 2>&1 || true
  rm -rf "$work"
  sysctl -qw kernel.bpf_stats_enabled="$old_stats"
}
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
trap cleanup EXIT

# The empty programs, loaded and attached (links pinned, so removing the pins detaches).
cat >"$work/empty.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
SEC("cgroup_skb/egress") int empty_egress(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/ingress") int empty_ingress(struct __sk_buff *skb) { return 1; }
SEC("tp_btf/sock_send_length") int BPF_PROG(empty_send, struct sock *sk, int ret, int flags) { return 0; }
SEC("tp_btf/sock_recv_length") int BPF_PROG(empty_recv, struct sock *sk, int ret, int flags) { return 0; }
SEC("cgroup/sendmsg4") int empty_sendmsg4(struct bpf_sock_addr *ctx) { return 1; }
SEC("cgroup/recvmsg4") int empty_recvmsg4(struct bpf_sock_addr *ctx) { return 1; }
EOF
cat >"$work/parts.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
/* The parts of our send/receive hook, each alone on sock_send_length next to the empty
 * one: what each helper costs (its run time less the empty program's). (The coarse
 * clock is not among them: tracing programs may not call bpf_ktime_get_coarse_ns.) */
struct { __uint(type, BPF_MAP_TYPE_SK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC);
         __type(key, int); __type(value, __u64); } part_map SEC(".maps");
SEC("tp_btf/sock_send_length") int BPF_PROG(part_storage, struct sock *sk, int ret, int flags) {
  __u64 *v = bpf_sk_storage_get(&part_map, sk, 0, BPF_SK_STORAGE_GET_F_CREATE); if (v) *v += 1; return 0; }
SEC("tp_btf/sock_send_length") int BPF_PROG(part_task, struct sock *sk, int ret, int flags) {
  struct task_struct *t = bpf_get_current_task_btf();
  return t->tgid == 1 && t->group_leader->self_exec_id == 7; }
SEC("tp_btf/sock_send_length") int BPF_PROG(part_clock, struct sock *sk, int ret, int flags) {
  return bpf_ktime_get_boot_ns() == 1; }
EOF
# The parts of the connected-UDP packet check (so_egress), each in its own object after
# an empty program on the same hook (a program run first pays for lines the next one
# finds warm): reading the protocol from the IP header (all a TCP packet costs), then
# also the socket's local port, then also its so_reported slot.
cat >"$work/skb_part.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 65536); __type(key, __u32); __type(value, __u64); } part_slots SEC(".maps");
SEC("cgroup_skb/egress") int part_skb_first(struct __sk_buff *skb) { return 1; }
SEC("cgroup_skb/egress") int part_skb(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct iphdr *ip = data;
  if (skb->protocol != bpf_htons(0x0800) || (void *)(ip + 1) > end || ip->protocol == IPPROTO_TCP) return 1;
#if PART >= 2
  struct bpf_sock *sk = skb->sk;
  if (!sk) return 1;
  __u32 k = sk->src_port & 0xffff;
#if PART >= 3
  __u64 *slot = bpf_map_lookup_elem(&part_slots, &k);
  if (slot && *slot == (__u64)sk) return 1;
#else
  if (k == 1) return 1;
#endif
#endif
  return 1; }
EOF
for o in empty parts; do clang -O2 -g -target bpf -I"$build/bpf" -c "$work/$o.bpf.c" -o "$work/$o.bpf.o"; done
for n in 1 2 3; do clang -O2 -g -target bpf -DPART=$n -I"$build/bpf" -c "$work/skb_part.bpf.c" -o "$work/skb_part$n.bpf.o"; done
# A holder process loads and attaches them, then waits: its exit detaches them.
cat >"$work/empty_holder.c" <<'EOF'
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj || bpf_object__load(obj)) return 1;
    int cg = open(argv[2], O_RDONLY | O_DIRECTORY);
    struct bpf_program *p;
    bpf_object__for_each_program(p, obj) {
        int is_cg = !strncmp(bpf_program__section_name(p), "cgroup", 6);
        if (!(is_cg ? bpf_program__attach_cgroup(p, cg) : bpf_program__attach(p))) return 1;
    }
    printf("attached\n");
    fflush(stdout);
    pause();
    return 0;
}
EOF
gcc -O2 -o "$work/empty_holder" "$work/empty_holder.c" -lbpf
# attach NAME: loads and attaches NAME.bpf.o in a holder process (its pid appended to
# $holder), waiting until they are attached; killing the holder detaches them.
attach() {
  # exec: the background job's pid is the holder's (a subshell killed instead would
  # leave the holder, and its programs, behind).
  (exec "$work/empty_holder" "$work/$1.bpf.o" "$CG") >"$work/$1.log" 2>&1 &
  local h=$!
  holder+=" $h"
  until grep -q attached "$work/$1.log" 2>/dev/null; do
    kill -0 "$h" 2>/dev/null || { echo "packet_overhead: the $1 programs did not load:" >&2; cat "$work/$1.log" >&2; exit 1; }
    sleep 0.05
  done
}

# workload KIND: MESSAGES request/responses on loopback (burst: 2 x MESSAGES datagrams
# one way), pinned to CPU 0; prints seconds.
workload() {
  taskset -c 0 python3 - "$1" "$msgs" <<'PY'
import socket, sys, time
kind, n = sys.argv[1], int(sys.argv[2])
if kind == "tcp":
    a = socket.socket(); a.bind(("127.0.0.1", 0)); a.listen()
    c = socket.create_connection(a.getsockname()); s, _ = a.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if kind in ("udp", "burst"):
        c.connect(s.getsockname()); s.connect(c.getsockname())
        if kind == "burst":  # 32-byte datagrams, 64 sent then 64 read (they fit the buffer)
            data = bytes(32)
            t = time.perf_counter()
            for _ in range(2 * n // 64):
                for _ in range(64):
                    c.send(data)
                for _ in range(64):
                    s.recv(64)
            print(f"{time.perf_counter() - t:.4f}")
            sys.exit(0)
    else:  # unconnected: every datagram names its address, as a DNS server's do
        c.bind(("127.0.0.1", 0))
        sa, ca = s.getsockname(), c.getsockname()
        t = time.perf_counter()
        for _ in range(n):
            c.sendto(b"x", sa); s.recvfrom(16); s.sendto(b"y", ca); c.recvfrom(16)
        print(f"{time.perf_counter() - t:.4f}")
        sys.exit(0)
t = time.perf_counter()
for _ in range(n):
    c.send(b"x"); s.recv(16); s.send(b"y"); c.recv(16)
print(f"{time.perf_counter() - t:.4f}")
PY
}

# stats NAME...: "runs ns" summed over the loaded programs with these names.
stats() {
  bpftool prog show -j | python3 -c '
import json, sys
names = set(sys.argv[1:])
runs = ns = 0
for p in json.load(sys.stdin):
    if p.get("name") in names:
        runs += p.get("run_cnt", 0); ns += p.get("run_time_ns", 0)
print(runs, ns)' "$@"
}
# per_run NAMES -- COMMAND: ns per program run during COMMAND.
per_run() {
  local names=() before after
  while [ "$1" != -- ]; do names+=("$1"); shift; done; shift
  read -r r0 n0 < <(stats "${names[@]}")
  "$@" >/dev/null
  read -r r1 n1 < <(stats "${names[@]}")
  python3 -c "print(f'{($n1 - $n0) / max(1, $r1 - $r0):.1f}')"
}

declare -A res
# bpf_stats costs time in every program run: on only while program times are taken.
stats_on() { sysctl -qw kernel.bpf_stats_enabled="$1"; }
for ((r = 1; r <= rounds; r++)); do
  stats_on 0
  for kind in tcp udp udpu burst; do
    res[bare_$kind]+="$(workload "$kind") "
  done
  attach empty
  for kind in tcp udp udpu burst; do  # the floor: what the hooks cost with nothing in them
    res[floor_$kind]+="$(workload "$kind") "
  done
  stats_on 1
  res[empty_skb]+="$(per_run empty_egress empty_ingress -- workload tcp) "
  res[empty_skb_udp]+="$(per_run empty_egress empty_ingress -- workload udp) "
  res[empty_use]+="$(per_run empty_send empty_recv -- workload tcp) "
  res[empty_addr]+="$(per_run empty_sendmsg4 empty_recvmsg4 -- workload udpu) "
  attach parts
  for part in empty_send part_storage part_task part_clock; do  # the same workload, apart
    res[$part]+="$(per_run $part -- workload tcp) "
  done
  kill $holder; wait $holder 2>/dev/null || true; holder=""
  for n in 1 2 3; do
    attach skb_part$n
    res[skb_part$n]+="$(per_run part_skb -- workload udp) "
    kill $holder; wait $holder 2>/dev/null || true; holder=""
  done
  "$S" collect --journal "$work/j.db" --pin-dir "$pins" --mode ebpf >"$work/collector.log" 2>&1 &
  collector=$!
  until grep -q 'mode:' "$work/collector.log"; do
    kill -0 "$collector" 2>/dev/null || { echo "packet_overhead: the collector did not start:" >&2; cat "$work/collector.log" >&2; exit 1; }
    sleep 0.05
  done
  res[ours_skb]+="$(per_run so_egress so_ingress -- workload tcp) "
  res[ours_skb_udp]+="$(per_run so_egress so_ingress -- workload udp) "
  res[ours_use]+="$(per_run so_send so_recv -- workload tcp) "
  res[ours_addr]+="$(per_run so_sendmsg4 so_recvmsg4 -- workload udpu) "
  stats_on 0
  for kind in tcp udp udpu burst; do
    res[with_$kind]+="$(workload "$kind") "
  done
  kill "$collector"; wait "$collector" || true; collector=""
  # Its pinned programs stay attached when it stops (by design): detach them, or the
  # next round's runs without the collector, and its empty programs, would carry them.
  "$S" cleanup --pin-dir "$pins" >/dev/null
done
python3 - "$rounds" "$msgs" <<PY
import statistics as st, sys
r = {k: [float(x) for x in v.split()] for k, v in {
    "bare_tcp": "${res[bare_tcp]}", "bare_udp": "${res[bare_udp]}", "with_tcp": "${res[with_tcp]}",
    "with_udp": "${res[with_udp]}", "empty_skb": "${res[empty_skb]}", "empty_use": "${res[empty_use]}",
    "bare_udpu": "${res[bare_udpu]}", "with_udpu": "${res[with_udpu]}", "floor_tcp": "${res[floor_tcp]}",
    "floor_udp": "${res[floor_udp]}", "floor_udpu": "${res[floor_udpu]}",
    "bare_burst": "${res[bare_burst]}", "floor_burst": "${res[floor_burst]}", "with_burst": "${res[with_burst]}",
    "empty_addr": "${res[empty_addr]}", "ours_addr": "${res[ours_addr]}",
    "ours_skb": "${res[ours_skb]}", "empty_skb_udp": "${res[empty_skb_udp]}",
    "ours_skb_udp": "${res[ours_skb_udp]}", "ours_use": "${res[ours_use]}", "empty_send": "${res[empty_send]}",
    "part_storage": "${res[part_storage]}", "part_task": "${res[part_task]}",
    "part_clock": "${res[part_clock]}", "skb_part1": "${res[skb_part1]}", "skb_part2": "${res[skb_part2]}",
    "skb_part3": "${res[skb_part3]}"}.items()}
m = {k: st.median(v) for k, v in r.items()}
print(f"medians of {sys.argv[1]} rounds, {sys.argv[2]} request/responses each")
for k, what in (("skb", "TCP"), ("skb_udp", "connected UDP")):
    print(f"per {what} packet (cgroup_skb, per run): empty {m['empty_' + k]:.1f} ns, "
          f"sockowner {m['ours_' + k]:.1f} ns: {m['ours_' + k] - m['empty_' + k]:+.1f} ns")
print("  a connected UDP egress packet's check, built up (per run, after an empty program): the IP header's "
      "protocol %.1f ns, and the socket's port %+.1f ns, and its so_reported slot %+.1f ns" % (m["skb_part1"],
      m["skb_part2"] - m["skb_part1"], m["skb_part3"] - m["skb_part2"]))
print(f"per send/receive (tp_btf, per run): empty {m['empty_use']:.1f} ns, sockowner {m['ours_use']:.1f} ns: "
      f"+{m['ours_use'] - m['empty_use']:.1f} ns")
print("  its parts, each alone (per send, above the empty program's %.1f ns): socket storage %+.1f ns, "
      "current task and its exec id %+.1f ns, boot clock %+.1f ns" % (m["empty_send"],
      *(m[k] - m["empty_send"] for k in ("part_storage", "part_task", "part_clock"))))
print(f"per unconnected UDP sendto/recvfrom (cgroup sendmsg4/recvmsg4, per run): empty {m['empty_addr']:.1f} ns, "
      f"sockowner {m['ours_addr']:.1f} ns: +{m['ours_addr'] - m['empty_addr']:.1f} ns")
for k, what in (("tcp", "TCP request/response"), ("udp", "UDP request/response"),
                ("udpu", "unconnected UDP request/response"), ("burst", "UDP burst of 32-byte datagrams")):
    print(f"{what}: {m['bare_' + k]:.3f} s without, {m['with_' + k]:.3f} s with the collector: "
          f"{m['with_' + k] / m['bare_' + k]:.3f}x; with the empty programs {m['floor_' + k]:.3f} s: "
          f"{m['floor_' + k] / m['bare_' + k]:.3f}x (the hooks alone), ours above them "
          f"{m['with_' + k] / m['floor_' + k]:.3f}x")
PY
