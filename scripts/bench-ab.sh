#!/usr/bin/env bash
# A/B comparison of one benchmark scenario: runs scripts/bench.sh <scenario> RUNS times for each
# side, interleaved (A B A B ...), so that the machine's noise falls on both sides alike, keeps
# every result (and its plots) and prints the median of each figure per side.
#
#   scripts/bench-ab.sh <scenario> <runs> '<A settings>' '<B settings>'
#   scripts/bench-ab.sh fanout-hot 3 'LIVEROOM_NODE_TRANSPORT=nio' 'LIVEROOM_NODE_TRANSPORT=native'
#   scripts/bench-ab.sh many-rooms 3 'BENCH_JAVA_OPTS=-Xms2g -Xmx2g -XX:+UseG1GC' 'BENCH_JAVA_OPTS=-Xms2g -Xmx2g -XX:+UseZGC'
#
# A side's settings are NAME=value words (a value may hold spaces when it is the only setting, as
# BENCH_JAVA_OPTS above); they are exported for that side's runs only. Results go to
# target/bench/ab/<name>/<A|B>-<i>.json (plots: <A|B>-<i>-latency.png, -throughput.png, -cpu.png), and the medians to target/bench/ab/<name>/summary.json, where
# <name> is BENCH_AB_NAME (default: the scenario).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ $# -eq 4 ]] || { echo "usage: scripts/bench-ab.sh <scenario> <runs> '<A settings>' '<B settings>'" >&2; exit 2; }
scenario=$1 runs=$2 a=$3 b=$4
dir=target/bench/ab/${BENCH_AB_NAME:-$scenario}
mkdir -p "$dir"
rm -f "$dir"/*.json "$dir"/*.png

# Exports one side's settings: a single NAME=value keeps its spaces; several are split on spaces.
apply() { # settings
  local s=$1 kv
  if [[ $s =~ ^[A-Z_][A-Z0-9_]*=.*[[:space:]].*$ && ! $s =~ [[:space:]][A-Z_][A-Z0-9_]*= ]]; then
    export "${s?}"
    return
  fi
  for kv in $s; do export "${kv?}"; done
}

for ((i = 1; i <= runs; i++)); do
  for side in A B; do
    settings=$a
    [[ $side == B ]] && settings=$b
    echo "[ab] $scenario run $i/$runs, $side: $settings"
    (apply "$settings" && scripts/bench.sh "$scenario") || echo "[ab] $scenario $side run $i failed" >&2
    if [[ -f target/bench/$scenario.json ]]; then
      cp "target/bench/$scenario.json" "$dir/$side-$i.json"
    fi
    for kind in latency throughput cpu; do
      if [[ -f target/bench/$scenario-$kind.png ]]; then
        cp "target/bench/$scenario-$kind.png" "$dir/$side-$i-$kind.png"
      fi
    done
  done
done

java -cp target/liveroom-tools.jar:target/liveroom.jar io.liveroom.loadgen.AbSummary "$dir" "$a" "$b"
