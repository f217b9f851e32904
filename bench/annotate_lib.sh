# Shared by the annotate benchmarks: sourced with $here (bench/) and $runs set. In the
# current directory, compare_with_editcap SOCKOWNER [OTHER_SOCKOWNER] times `SOCKOWNER
# annotate` of cap.pcapng with j.db (and another build's, e.g. the commit before, on
# the same files) against editcap copying cap.pcapng (the target's baseline) and, when
# the benchmark made check.pcapng (the annotated output), against editcap copying that:
# the same bytes written as annotate writes, several times the input's (a comment on
# every packet). One warm-up round, then $runs rounds alternating the commands' order,
# each run with no output left over (another command's write-back would land on it)
# and the page cache written back (sync); prints medians and ratios.
. "$here/interleaved_lib.sh"
# Sourced before the benchmark moves to its own directory: another build's path as given.
[ -z "${OTHER_SOCKOWNER:-}" ] || OTHER_SOCKOWNER=$(realpath -e "$OTHER_SOCKOWNER")

compare_with_editcap() {
  local cmds=(-n "editcap (copy)" "editcap cap.pcapng copy.pcapng"
              -n "sockowner annotate" "$1 annotate -q cap.pcapng -o out.pcapng --journal j.db")
  [ -z "${2:-}" ] || cmds+=(-n "other build's annotate" "$2 annotate -q cap.pcapng -o out.pcapng --journal j.db")
  [ ! -f check.pcapng ] || cmds+=(-n "editcap (copy of the annotated output)" "editcap check.pcapng copy.pcapng")
  prepare="rm -f copy.pcapng out.pcapng; sync" interleaved r "${cmds[@]}"
  python3 - "$runs" <<'PY'
import json, sys
t = {r["command"]: r["median"] for r in json.load(open("r.json"))["results"]}
e = t.pop("editcap (copy)")
out = t.pop("editcap (copy of the annotated output)", None)
print(f"editcap copy {e:.3f} s (medians of {sys.argv[1]})")
for k, v in t.items():
    print(f"{k} {v:.3f} s, ratio {v / e:.2f}" + (f" ({v / out:.2f} of editcap copying the annotated output, {out:.3f} s)" if out else ""))
PY
}
