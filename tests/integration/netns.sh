#!/usr/bin/env bash
# Sockets in other network namespaces (containers) are attributed too, in the mode
# $COLLECT_MODE (procfs, the default, or ebpf): one namespace's connection predates
# the collector, another's is opened while it runs. A restarted collector finds both
# again and carries their intervals on (the eBPF socket iterators list one namespace
# at a time: each namespace a process uses is iterated).
. "$TESTS_DIR/lib.sh"
need_root "creating network namespaces"
need_cmd unshare
mode=${COLLECT_MODE:-procfs}
start() {
  if [ "$mode" = ebpf ]; then start_ebpf_collector "$J"; else start_collector "$J" --mode procfs --poll-interval 100; fi
}

# holder NAME OUTFILE: in a new network namespace, a TCP connection and a UDP socket
# held 60 s; OUTFILE gets "pid netns client_port listen_port udp_port".
holder() {
  unshare -n sh -c 'ip link set lo up && exec python3 - "$@"' sh "$@" <<'PY' &
import os, socket, sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen()
cli = socket.create_connection(lst.getsockname()); acc, _ = lst.accept()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
netns = os.stat("/proc/self/ns/net").st_ino
with open(sys.argv[2] + ".tmp", "w") as f:
    print(os.getpid(), netns, cli.getsockname()[1], lst.getsockname()[1], udp.getsockname()[1], file=f)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(60)
PY
  CLEANUP_PIDS+=($!)
  wait_until 5 test -s "$2" || fail "$1: namespace not set up"
}

J=$WORK/j.db
holder so-ns-before "$WORK/a.txt"
start
holder so-ns-during "$WORK/b.txt"
sleep 0.5
host_netns=$(stat -L -c %i /proc/self/ns/net)

check() {  # check NAME FILE: every socket of the holder, open, with its pid, name and netns
  read -r pid netns cport lport uport <"$2"
  [ "$netns" != "$host_netns" ] || fail "$1 runs in the host's namespace"
  "$SOCKOWNER" export --journal "$J" >"$WORK/export.jsonl"
  python3 - "$WORK/export.jsonl" "$1" "$pid" "$netns" "$cport" "$lport" "$uport" <<'PY' || fail "$1 not attributed"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
name, pid, netns, cport, lport, uport = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *map(int, sys.argv[5:])
want = {("tcp", cport, lport), ("tcp", lport, cport), ("tcp", lport, 0), ("udp", uport, 0)}
for proto, local, remote in sorted(want):
    mine = [r for r in rows if r["proto"] == proto and r["local_port"] == local and r["remote_port"] == remote
            and r["netns"] == netns]
    assert len(mine) == 1, (proto, local, remote, mine)
    r = mine[0]
    assert (r["pid"], r["name"], r["closed"]) == (pid, name, None), r
print("ok", name, "pid", pid, "netns", netns, "sources", sorted({r["source"] for r in rows if r["netns"] == netns}))
PY
}
check so-ns-before "$WORK/a.txt"
check so-ns-during "$WORK/b.txt"
stop_collector
start
sleep 0.5
stop_collector
check so-ns-before "$WORK/a.txt"
check so-ns-during "$WORK/b.txt"
pass
