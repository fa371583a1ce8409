#!/usr/bin/env bash
# Benchmark scenarios of ../shared/BENCHMARKS.md, run on this machine over loopback.
#
#   scripts/bench.sh <scenario>     one scenario: writes target/bench/<scenario>.json and prints one summary line
#   scripts/bench.sh all            every scenario implemented so far, in sequence
#   scripts/bench.sh list           the scenarios
#
# Each run builds the jar if needed, starts Redis and the nodes it needs through
# scripts/dev-cluster.sh (on REDIS_PORT, default 6390, so a dev Redis on 6379 is untouched),
# runs the load generator (io.liveroom.loadgen.LoadGen) for a bounded time, and stops everything it
# started, also on failure. The servers run on BENCH_JDK (default Temurin 25 when installed,
# else the java on PATH) with BENCH_JAVA_OPTS (default a 2 GiB heap with G1); the load generator
# runs on the same JDK. Limits that protect production nodes from abuse (send rate, connections
# per address, room caps) are raised for the load generator's single address.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OUT=target/bench
SCENARIOS=(rooms-memory latency fanout-hot)
BENCH_JDK=${BENCH_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ -x $BENCH_JDK/bin/java ]]; then
  export PATH="$BENCH_JDK/bin:$PATH"
fi
HZ_FLAGS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
--add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED \
--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
export JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms2g -Xmx2g -XX:+UseG1GC} $HZ_FLAGS"
export REDIS_PORT=${REDIS_PORT:-6390}
# its own ports and state folder, so a dev cluster on 8080.. can keep running
export DEV_HTTP_BASE=${BENCH_HTTP_BASE:-18080} DEV_CLUSTER_BASE=${BENCH_CLUSTER_BASE:-15701}
export DEV_STATE=target/bench/cluster
export LIVEROOM_RT_SEND_RATE_PER_SEC=100000 LIVEROOM_RT_SEND_BURST=100000
export LIVEROOM_RT_IP_CONNECT_RATE_PER_SEC=1000000 LIVEROOM_RT_IP_CONNECT_BURST=1000000
export LIVEROOM_RT_ROOM_MESSAGES_PER_SEC=1000000 LIVEROOM_RT_ROOM_MESSAGES_BURST=1000000
export LIVEROOM_ROOMS_MAX_MEMBERS_LIMIT=100000000

log() { printf '[bench] %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

started=0
cleanup() {
  if ((started)); then
    scripts/dev-cluster.sh stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

cluster_up() { # N nodes
  if compgen -G "$DEV_STATE/node-*.pid" >/dev/null; then
    for f in "$DEV_STATE"/node-*.pid; do
      if kill -0 "$(cat "$f")" 2>/dev/null; then
        die "benchmark nodes from an earlier run are still up ($DEV_STATE); stop them with DEV_STATE=$DEV_STATE scripts/dev-cluster.sh stop"
      fi
    done
  fi
  started=1
  scripts/dev-cluster.sh start "$1" >"$OUT/cluster.log" 2>&1 || { tail -20 "$OUT/cluster.log"; die "the cluster did not start"; }
}

cluster_down() {
  scripts/dev-cluster.sh stop >/dev/null 2>&1 || true
  started=0
}

server_pids() { cat "$DEV_STATE"/node-*.pid | paste -sd, -; }
port() { printf '%s' $((DEV_HTTP_BASE + $1 - 1)); }

metrics_urls() { # N nodes
  local urls=() i
  for ((i = 1; i <= $1; i++)); do urls+=("http://127.0.0.1:$(port "$i")/metrics"); done
  (IFS=,; printf '%s' "${urls[*]}")
}

loadgen() { # scenario nodes args...
  local scenario=$1 nodes=$2
  shift 2
  java -Xms1g -Xmx2g -cp target/liveroom.jar io.liveroom.loadgen.LoadGen \
    --scenario "$scenario" --out "$OUT/$scenario.json" \
    --server-pids "$(server_pids)" --metrics-urls "$(metrics_urls "$nodes")" \
    --server-flags "$JAVA_OPTS" --command "scripts/bench.sh $scenario" \
    --jwt-secret "${LIVEROOM_JWT_SECRET:-dev-secret}" --api-key "${LIVEROOM_API_KEY:-dev-key}" \
    "$@" 2>&1 | tee -a "$OUT/$scenario.log"
}

# rooms-memory: 1,000,000 hot idle rooms through the shard's code path in one JVM (no HTTP, no
# Redis), on JDK 17 (the target), JDK 25, and JDK 25 with compact object headers.
JDK17=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
scenario_rooms-memory() {
  local java17=java
  [[ -x $JDK17/bin/java ]] && java17=$JDK17/bin/java
  [[ -f target/liveroom.jar ]] || ./mvnw -B -q -DskipTests package
  "$java17" -Xms3g -Xmx3g -XX:+UseG1GC -cp target/liveroom.jar io.liveroom.bench.RoomsMemory 1000000 \
    "$OUT/rooms-memory.json" | tee -a "$OUT/rooms-memory.log"
  if [[ -x $BENCH_JDK/bin/java ]]; then
    "$BENCH_JDK/bin/java" -Xms3g -Xmx3g -XX:+UseG1GC -cp target/liveroom.jar io.liveroom.bench.RoomsMemory 1000000 \
      "$OUT/rooms-memory-jdk25.json" | tee -a "$OUT/rooms-memory.log"
    "$BENCH_JDK/bin/java" -Xms3g -Xmx3g -XX:+UseG1GC -XX:+UseCompactObjectHeaders -cp target/liveroom.jar \
      io.liveroom.bench.RoomsMemory 1000000 "$OUT/rooms-memory-jdk25-coh.json" | tee -a "$OUT/rooms-memory.log"
  fi
}

# latency: two nodes, subscribers on both, the publisher on node 1 at a modest rate: end-to-end
# latency (publisher send -> subscriber receipt) where the room's owner is one of the nodes, so
# half of the subscribers get every item across nodes.
scenario_latency() {
  cluster_up 2
  loadgen latency 2 --targets "127.0.0.1:$(port 1),127.0.0.1:$(port 2)" --pub-targets "127.0.0.1:$(port 1)" --room "lat-$$" \
    --subscribers 100 --publishers 1 --rate 50 --warmup 5 --duration 30 --expect "p99Ms<=75"
  cluster_down
}

# fanout-hot: one room, 10,000 subscribers on one node, one publisher at 200 messages/s.
scenario_fanout-hot() {
  cluster_up 1
  loadgen fanout-hot 1 --targets "127.0.0.1:$(port 1)" --room hot-$$ --subscribers "${FANOUT_SUBSCRIBERS:-10000}" \
    --publishers 1 --rate 200 --warmup 10 --duration 30 --connect-batch 500 \
    --expect "p99Ms<=75" --expect "deliveriesPerSecond>=2000000" --expect "gaps<=0" --expect "duplicates<=0"
  cluster_down
}

main() {
  [[ $# -eq 1 ]] || die "usage: scripts/bench.sh <scenario>|all|list"
  mkdir -p "$OUT"
  case $1 in
    list) printf '%s\n' "${SCENARIOS[@]}" ;;
    all) for s in "${SCENARIOS[@]}"; do "$0" "$s"; done ;;
    *)
      declare -F "scenario_$1" >/dev/null || die "unknown scenario '$1' (have: ${SCENARIOS[*]})"
      log "$1 on $(java -version 2>&1 | head -n 1)"
      : >"$OUT/$1.log"
      "scenario_$1"
      log "result: $OUT/$1.json"
      ;;
  esac
}

main "$@"
