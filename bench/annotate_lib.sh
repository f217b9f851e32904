# Shared by the annotate benchmarks: sourced with $runs set. In the current directory,
# compare_with_editcap SOCKOWNER [OTHER_SOCKOWNER] times `SOCKOWNER annotate` of
# cap.pcapng with j.db (and another build's, e.g. the commit before, on the same files)
# against editcap copying cap.pcapng: one warm-up round, then $runs rounds alternating
# the commands' order, each run with no output left over (another command's write-back
# would land on it) and the page cache written back (sync); prints medians and ratios.
compare_with_editcap() {
  local cmds=(-n "editcap (copy)" "editcap cap.pcapng copy.pcapng"
              -n "sockowner annotate" "$1 annotate -q cap.pcapng -o out.pcapng --journal j.db") rev=() i j
  [ -z "${2:-}" ] || cmds+=(-n "other build's annotate" "$2 annotate -q cap.pcapng -o out.pcapng --journal j.db")
  for ((j = ${#cmds[@]} - 3; j >= 0; j -= 3)); do rev+=("${cmds[@]:j:3}"); done
  for ((i = 0; i <= runs; i++)); do
    if ((i % 2)); then set -- "${rev[@]}"; else set -- "${cmds[@]}"; fi
    hyperfine --runs 1 --prepare "rm -f copy.pcapng out.pcapng; sync" --export-json "r.$i.json" "$@" >/dev/null
  done
  python3 - "$runs" <<'PY'
import json, statistics, sys
runs = int(sys.argv[1])
t = {}
for i in range(1, runs + 1):
    for r in json.load(open(f"r.{i}.json"))["results"]:
        t.setdefault(r["command"], []).extend(r["times"])
e = statistics.median(t.pop("editcap (copy)"))
print(f"editcap copy {e:.3f} s (medians of {runs})")
for k, v in t.items():
    print(f"{k} {statistics.median(v):.3f} s, ratio {statistics.median(v) / e:.2f}")
PY
}
