#!/usr/bin/env bash
# The per-packet programs trust a socket's slot in the pinned so_reported map (by local
# port) to skip the socket-storage lookup, so a slot must never outlive what it says:
#  1. Every program of the object, those only other kernels get too (so_egress_all,
#     so_ingress_all, so_sock_release_noslot), passes this kernel's verifier.
#  2. A connected UDP socket's packets set its slot to the socket; connect() to another
#     peer clears it (a new tuple to report), the next packets set it again, and close()
#     clears it, so that a later socket at the same address and port is not taken for
#     reported. An IPv6 one alike.
. "$TESTS_DIR/lib.sh"
need_root "loading BPF programs"
need_cmd bpftool
OBJ=$BUILD_DIR/bpf/sockowner.bpf.o
[ -f "$OBJ" ] || fail "no $OBJ"

ALL=/sys/fs/bpf/sockowner-test-all-$$
trap 'rm -rf "$ALL"; cleanup' EXIT
mkdir -p "$ALL"
bpftool prog loadall "$OBJ" "$ALL" >"$WORK/loadall.log" 2>&1 || { tail -20 "$WORK/loadall.log" >&2; fail "the object's programs do not all load"; }
for p in so_egress so_ingress so_egress_all so_ingress_all so_sock_release so_sock_release_noslot so_sockops; do
  [ -e "$ALL/$p" ] || fail "$p was not loaded: $(ls "$ALL")"
done
echo "ok: all $(ls "$ALL" | wc -l) programs pass the verifier"
rm -rf "$ALL"

J=$WORK/j.db
start_ebpf_collector "$J"
MAP=$(ls -d "$PIN_DIR"/so_reported_v* 2>/dev/null | head -1)
[ -n "$MAP" ] || fail "no pinned so_reported map in $PIN_DIR: $(ls "$PIN_DIR")"
python3 - "$MAP" <<'PY' || fail "slots"
import json, socket, subprocess, sys, time
MAP = sys.argv[1]
def slot(port):
    key = [str(b) for b in port.to_bytes(4, "little")]
    out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", MAP, "key"] + key,
                         check=True, capture_output=True, text=True).stdout
    v = json.loads(out)
    v = v.get("formatted", v).get("value", v.get("value"))
    if isinstance(v, list):
        return int.from_bytes(bytes(int(b, 16) for b in v), "little")
    return int(v)
def expect(what, port, nonzero):
    for _ in range(50):  # the programs ran before the call returned; no wait is expected
        s = slot(port)
        if (s != 0) == nonzero:
            return s
        time.sleep(0.01)
    sys.exit(f"{what}: slot of port {port} is {s:#x}")
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    a = socket.socket(fam, socket.SOCK_DGRAM); a.bind((addr, 0))
    b = socket.socket(fam, socket.SOCK_DGRAM); b.bind((addr, 0))
    c = socket.socket(fam, socket.SOCK_DGRAM)
    c.connect(a.getsockname()[:2])
    port = c.getsockname()[1]
    for _ in range(3):
        c.send(b"x"); a.recv(16)
    first = expect("after packets", port, True)
    c.connect(b.getsockname()[:2])
    expect("after connect() to another peer", port, False)
    for _ in range(3):
        c.send(b"y"); b.recv(16)
    again = expect("after packets to the new peer", port, True)
    if again != first:
        sys.exit(f"the slot names another socket: {again:#x} against {first:#x}")
    c.close()
    expect("after close()", port, False)
    print(f"ok: {'IPv4' if fam == socket.AF_INET else 'IPv6'} slot set by packets, cleared by connect() and close()")
PY
stop_collector
pass
