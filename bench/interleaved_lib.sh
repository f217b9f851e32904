# Shared by the benchmarks that time commands with hyperfine: sourced with $runs set.
#
# interleaved OUT -n NAME CMD ...: one warm-up round, then $runs rounds of one run of
# each command, in alternating order, so that other load on the machine while the
# benchmark runs falls on all of them alike (hyperfine alone runs all of one command,
# then all of the next). Writes OUT.json with each command's median, as hyperfine does.
# With $prepare set, hyperfine runs it before every command (--prepare).
interleaved() {
  local out=$1 i j; shift
  local fwd=("$@") rev=()
  for ((j = ${#fwd[@]} - 3; j >= 0; j -= 3)); do rev+=("${fwd[@]:j:3}"); done
  for ((i = 0; i <= runs; i++)); do
    if ((i % 2)); then set -- "${rev[@]}"; else set -- "${fwd[@]}"; fi
    hyperfine --runs 1 ${prepare:+--prepare "$prepare"} --export-json "$out.$i.json" "$@" >/dev/null
  done
  python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
order = [r["command"] for r in json.load(open(f"{out}.0.json"))["results"]]  # round 0: the warm-up
times = {c: [] for c in order}
for i in range(1, runs + 1):
    for r in json.load(open(f"{out}.{i}.json"))["results"]:
        times[r["command"]].extend(r["times"])
json.dump({"results": [{"command": c, "median": statistics.median(times[c]), "times": times[c]} for c in order]},
          open(out + ".json", "w"))
PY
}
# median OUT: the medians of OUT.json, in the commands' order.
median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }
