#!/usr/bin/env bash
# Benchmark scenarios of ../shared/BENCHMARKS.md, run on this machine over loopback.
#
#   scripts/bench.sh <scenario>     one scenario: writes target/bench/<scenario>.json and prints one summary line
#                                   (and, for latency, create-http, fanout-hot, many-rooms and failover, the
#                                   plots <scenario>-latency.png and <scenario>-throughput.png beside it, named
#                                   in the output; for fanout-curve, <scenario>-throughput.png and -cpu.png)
#   scripts/bench.sh all            every scenario, in sequence, each announced as [i/N] (a failed one does not
#                                   stop the others)
#   scripts/bench.sh list           the scenarios
#
# Each run builds the jars if needed (target/liveroom.jar, the node, and target/liveroom-tools.jar,
# the load tools, which run with the node's jar on their class path), starts Redis and the nodes it
# needs through scripts/dev-cluster.sh (on REDIS_PORT, default 6390, so a dev Redis on 6379 is
# untouched), runs the load generator (io.liveroom.loadgen.LoadGen) for a bounded time, and stops
# everything it started, also on failure. The servers run on BENCH_JDK (default Temurin 25 when
# installed, else the java on PATH) with BENCH_JAVA_OPTS (default a 2 GiB heap with G1); the load
# generator runs on the same JDK. Limits that protect production nodes from abuse (send rate, connections
# per address, room caps) are raised for the load generator's addresses.
#
# Sizes default to BENCHMARKS.md's and can be changed by environment variables (see each scenario
# below). Connection counts are cut to what the open-file limit allows (ulimit -n: the node and
# the load generator each hold one descriptor per connection); the result says what ran.
# BENCH_JFR=1 records the servers with JFR over the measured window of create-http, fanout-hot
# and many-rooms and writes target/bench/<scenario>-profile.txt. REDIS_MODE=sentinel (or cluster)
# runs the nodes against scripts/dev-cluster.sh's Sentinel (or Cluster) Redis, on that script's
# fixed ports (6379-6380 and 26379-26381; 7000-7005) instead of REDIS_PORT: stop a dev cluster
# first. LOADGEN_EVENT_LOOPS sets the load generator's event loops (default: one per core).
# LOADGEN_DEFLATE=true makes its WebSocket clients offer permessage-deflate (with
# LIVEROOM_RT_DEFLATE_LEVEL=1..9 the node agrees).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# the caller's own LIVEROOM_* settings (LIVEROOM_NODE_TRANSPORT=nio, LIVEROOM_RT_BATCH_MS=50, ...) reach
# the nodes and are written into each result's jvmFlags, so that an A/B run says what it changed
# (computed once, before this script's own exports, and inherited by the scenarios of `all`)
if [[ -z ${BENCH_CALLER_ENV+x} ]]; then
  BENCH_CALLER_ENV=$(env | grep -E '^(LIVEROOM_[A-Z0-9_]+|DEV_JAR|REDIS_MODE|LOADGEN_EVENT_LOOPS|LOADGEN_DEFLATE)=' | grep -v -E '^LIVEROOM_(JWT_SECRET|API_KEY|AUTH_)' | sort | paste -sd' ' || true)
  export BENCH_CALLER_ENV
fi

OUT=target/bench
SCENARIOS=(rooms-memory latency create-http fanout-hot fanout-curve many-rooms idle-conns sweep failover)
BENCH_JDK=${BENCH_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ -x $BENCH_JDK/bin/java ]]; then
  export PATH="$BENCH_JDK/bin:$PATH"
fi
# the nodes run java -jar (module flags in the jar's manifest); the tools below run from a class
# path and take them from the java argument file conf/jvm-module-flags
export JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms2g -Xmx2g -XX:+UseG1GC}"
export REDIS_PORT=${REDIS_PORT:-6390}
# its own ports and state folder, so a dev cluster on 8080.. can keep running
export DEV_HTTP_BASE=${BENCH_HTTP_BASE:-18080} DEV_CLUSTER_BASE=${BENCH_CLUSTER_BASE:-15701}
export DEV_STATE=target/bench/cluster
export LIVEROOM_RT_SEND_RATE_PER_SEC=100000 LIVEROOM_RT_SEND_BURST=100000
export LIVEROOM_RT_IP_CONNECT_RATE_PER_SEC=1000000 LIVEROOM_RT_IP_CONNECT_BURST=1000000
export LIVEROOM_RT_ROOM_MESSAGES_PER_SEC=1000000 LIVEROOM_RT_ROOM_MESSAGES_BURST=1000000
export LIVEROOM_ROOMS_MAX_MEMBERS_LIMIT=100000000
LOADGEN_HEAP=${BENCH_LOADGEN_HEAP:-2g}
# the load and benchmark tools; RoomsMemory and SweepBench run the node's own classes in process
TOOLS_CP=target/liveroom-tools.jar:target/liveroom.jar

log() { printf '[bench] %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

build_jars() {
  [[ -f target/liveroom.jar && -f target/liveroom-tools.jar ]] || ./mvnw -B -q -DskipTests package </dev/null
}

# one descriptor per connection in the node and in the load generator: raise the soft limit to the hard one
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
[[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
FD_SPARE=1500 # the node's jars, Hazelcast, Redis and HTTP sockets, the load generator's own

started=0
NODE_PIDS=() # every node this run started, by pid: stopped by these pids if dev-cluster.sh left one
cleanup() {
  if ((started)); then
    scripts/dev-cluster.sh stop >/dev/null 2>&1 || true
  fi
  reap_nodes
}

# Stops (TERM, then KILL after 30 s) the nodes of this run that are still alive, by pid.
reap_nodes() {
  local p i
  local -a alive=()
  for ((i = 0; i < 60; i++)); do
    alive=()
    for p in "${NODE_PIDS[@]}"; do
      if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -q liveroom.jar; then alive+=("$p"); fi
    done
    ((${#alive[@]} == 0)) && break
    if ((i == 0)); then
      log "node(s) ${alive[*]} still running after the cluster stopped: SIGTERM" >&2
      kill -TERM "${alive[@]}" 2>/dev/null || true
    fi
    sleep 0.5
  done
  if ((${#alive[@]} > 0)); then
    log "SIGKILL ${alive[*]}" >&2
    kill -KILL "${alive[@]}" 2>/dev/null || true
  fi
  NODE_PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
  local f
  for f in "$DEV_STATE"/node-*.pid; do NODE_PIDS+=("$(cat "$f")"); done
}

cluster_down() {
  local p
  for p in "${NODE_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
  scripts/dev-cluster.sh stop >"$OUT/cluster-stop.log" 2>&1 || true
  reap_nodes
  started=0
}

node_pid() { cat "$DEV_STATE/node-$1.pid"; }
server_pids() { cat "$DEV_STATE"/node-*.pid | paste -sd, -; }
redis_pid() { cat "$DEV_STATE/redis/redis.pid" 2>/dev/null || true; }
port() { printf '%s' $((DEV_HTTP_BASE + $1 - 1)); }

metrics_urls() { # N nodes
  local urls=() i
  for ((i = 1; i <= $1; i++)); do urls+=("http://127.0.0.1:$(port "$i")/metrics"); done
  (IFS=,; printf '%s' "${urls[*]}")
}

targets() { # N nodes: 127.0.0.1:port,...
  local t=() i
  for ((i = 1; i <= $1; i++)); do t+=("127.0.0.1:$(port "$i")"); done
  (IFS=,; printf '%s' "${t[*]}")
}

# Local addresses to connect from: one per 20,000 connections (127.0.0.0/8 is all loopback on Linux),
# so ephemeral ports (and ports still in TIME_WAIT from an earlier scenario) never run out.
source_ips() { # connections
  local n=$(($1 / 20000 + 2)) ips=() i
  for ((i = 2; i < n + 2; i++)); do ips+=("127.0.0.$i"); done
  (IFS=,; printf '%s' "${ips[*]}")
}

# The largest count <= $1 of connections that fits the open-file limit, $2 descriptors per unit.
fit() { # wanted per-unit
  local max=$(((FD_LIMIT - FD_SPARE) / $2))
  if (($1 > max)); then
    log "scaled $1 down to $max: the open-file limit is $FD_LIMIT (ulimit -Hn), and the node and the load generator each hold one per connection" >&2
    printf '%s' "$max"
  else
    printf '%s' "$1"
  fi
}

LOAD_AT_START=0
loadgen() { # scenario nodes args...
  local scenario=$1 nodes=$2
  shift 2
  java -Xms1g "-Xmx$LOADGEN_HEAP" -Djava.awt.headless=true @conf/jvm-module-flags -cp "$TOOLS_CP" \
    io.liveroom.loadgen.LoadGen \
    --scenario "$scenario" --out "$OUT/$scenario.json" \
    --server-pids "$(server_pids)" --metrics-urls "$(metrics_urls "$nodes")" --redis-pid "$(redis_pid)" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT" --load-average "$LOAD_AT_START" \
    --server-flags "$JAVA_OPTS${SERVER_ENV:+ env: $SERVER_ENV}" --command "${BENCH_COMMAND:-scripts/bench.sh $scenario}" \
    --jwt-secret "${LIVEROOM_JWT_SECRET:-dev-secret}" --api-key "${LIVEROOM_API_KEY:-dev-key}" \
    ${LOADGEN_EVENT_LOOPS:+--event-loops "$LOADGEN_EVENT_LOOPS"} ${LOADGEN_DEFLATE:+--deflate "$LOADGEN_DEFLATE"} "$@" 2>&1 | tee -a "$OUT/$scenario.log"
}

# Server settings of one scenario: exported for the nodes and written into the result's jvmFlags.
SERVER_ENV=$BENCH_CALLER_ENV
server_env() { # NAME=value...
  local kv
  for kv in "$@"; do
    export "${kv?}"
    SERVER_ENV+="${SERVER_ENV:+ }$kv"
  done
}

jfr_args() { # scenario
  if [[ ${BENCH_JFR:-0} == 1 ]]; then
    printf -- '--jfr\n%s\n' "$OUT/$1"
  fi
}

# After a run with BENCH_JFR=1: where the CPU went, from the recordings.
jfr_report() { # scenario
  [[ ${BENCH_JFR:-0} == 1 ]] || return 0
  local f report="$OUT/$1-profile.txt"
  : >"$report"
  for f in "$OUT/$1"-*.jfr; do
    [[ -f $f ]] || continue
    {
      printf '=== %s\n' "$f"
      java -cp "$TOOLS_CP" io.liveroom.loadgen.ProfileSummary "$f" || true
      jfr view --width 160 hot-methods "$f" || true
      jfr view --width 160 allocation-by-class "$f" || true
      jfr view --width 160 gc-pauses "$f" || true
    } >>"$report" 2>&1
  done
  log "profile: $report"
}

# rooms-memory: 1,000,000 hot idle rooms through the shard's code path in one JVM (no HTTP, no
# Redis), on JDK 17 (the target), JDK 25, and JDK 25 with compact object headers.
JDK17=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
scenario_rooms-memory() {
  local java17=java
  [[ -x $JDK17/bin/java ]] && java17=$JDK17/bin/java
  "$java17" -Xms3g -Xmx3g -XX:+UseG1GC -cp "$TOOLS_CP" io.liveroom.bench.RoomsMemory 1000000 \
    "$OUT/rooms-memory.json" | tee -a "$OUT/rooms-memory.log"
  if [[ -x $BENCH_JDK/bin/java ]]; then
    "$BENCH_JDK/bin/java" -Xms3g -Xmx3g -XX:+UseG1GC -cp "$TOOLS_CP" io.liveroom.bench.RoomsMemory 1000000 \
      "$OUT/rooms-memory-jdk25.json" | tee -a "$OUT/rooms-memory.log"
    "$BENCH_JDK/bin/java" -Xms3g -Xmx3g -XX:+UseG1GC -XX:+UseCompactObjectHeaders -cp "$TOOLS_CP" \
      io.liveroom.bench.RoomsMemory 1000000 "$OUT/rooms-memory-jdk25-coh.json" | tee -a "$OUT/rooms-memory.log"
  fi
}

# latency: two nodes, subscribers on both, the publisher on node 1 at a modest rate: end-to-end
# latency (publisher send -> subscriber receipt) where the room's owner is one of the nodes, so
# half of the subscribers get every item across nodes.
scenario_latency() {
  cluster_up 2
  loadgen latency 2 --targets "$(targets 2)" --pub-targets "127.0.0.1:$(port 1)" --room "lat-$$" \
    --subscribers 100 --publishers 1 --rate 50 --warmup 5 --duration 30 --expect "p99Ms<=75"
  cluster_down
}

# The HTTP load tool: wrk when installed (installed with apt-get when we are root and may), else
# the load generator's own closed-loop HTTP mode. BENCH_HTTP_ENGINE=wrk|java forces one.
http_engine() {
  local e=${BENCH_HTTP_ENGINE:-auto}
  if [[ $e == auto ]]; then
    if ! command -v wrk >/dev/null 2>&1 && [[ ${BENCH_INSTALL_WRK:-1} == 1 && $(id -u) == 0 ]] \
      && command -v apt-get >/dev/null 2>&1; then
      log "wrk is not installed: apt-get install -y wrk" >&2
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk </dev/null \
        || { DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk </dev/null; }
      } >>"$OUT/apt.log" 2>&1 || log "could not install wrk (see $OUT/apt.log): using the Java HTTP load" >&2
    fi
    if command -v wrk >/dev/null 2>&1; then e=wrk; else e=java; fi
  fi
  printf '%s' "$e"
}

# create-http: POST /api/v1/rooms from 64 keep-alive connections (CREATE_CONNECTIONS) for
# CREATE_DURATION s after a 10 s warm-up, one node, Redis write-through.
scenario_create-http() {
  local engine
  engine=$(http_engine)
  cluster_up 1
  local -a jfr
  mapfile -t jfr < <(jfr_args create-http)
  loadgen create-http 1 --mode http-create --engine "$engine" --targets "127.0.0.1:$(port 1)" "${jfr[@]}" \
    --connections "${CREATE_CONNECTIONS:-64}" --wrk-threads "${CREATE_WRK_THREADS:-2}" \
    --warmup "${CREATE_WARMUP:-10}" --duration "${CREATE_DURATION:-30}" \
    --expect "createsPerSecond>=20000" --expect "p99Ms<=20"
  cluster_down
  jfr_report create-http
}

# fanout-hot: one room, 10,000 subscribers (FANOUT_SUBSCRIBERS) on one node, one publisher at
# 200 messages/s (FANOUT_RATE). Every subscriber checks seq; one in FANOUT_LATENCY_SAMPLE (50)
# decodes the pushes as JSON and records latency, the others read the items' seq from the frames'
# bytes, so that 2 million deliveries a second do not load the load generator.
scenario_fanout-hot() {
  local subs
  subs=$(fit "${FANOUT_SUBSCRIBERS:-10000}" 1)
  cluster_up 1
  local -a jfr
  mapfile -t jfr < <(jfr_args fanout-hot)
  loadgen fanout-hot 1 --targets "127.0.0.1:$(port 1)" --room hot-$$ --subscribers "$subs" \
    --publishers 1 --rate "${FANOUT_RATE:-200}" --warmup "${FANOUT_WARMUP:-10}" --duration "${FANOUT_DURATION:-30}" \
    --connect-batch 500 --source-ips "$(source_ips "$subs")" --latency-sample "${FANOUT_LATENCY_SAMPLE:-50}" "${jfr[@]}" \
    --expect "p99Ms<=75" --expect "deliveriesPerSecond>=2000000" --expect "gaps<=0" --expect "duplicates<=0"
  cluster_down
  jfr_report fanout-hot
}

# fanout-curve: the fanout-hot room (CURVE_SUBSCRIBERS, 10,000, on one node, one publisher) with
# the publish rate stepped through CURVE_RATES (25,50,100,150,200,300 messages/s) in one load
# generator run, the node and the connections staying up: CURVE_WARMUP (10) s before the first
# step, CURVE_STEP_WARMUP (5) s before each other one, CURVE_STEP_SECONDS (20) s measured per step.
# One subscriber in CURVE_LATENCY_SAMPLE (50) records latency; all check seq. The knee is the
# highest step with p99 <= 75 ms and no gaps; the plots are fanout-curve-throughput.png (latency
# against deliveries/s) and fanout-curve-cpu.png (CPU per 1,000 deliveries).
scenario_fanout-curve() {
  local subs
  subs=$(fit "${CURVE_SUBSCRIBERS:-10000}" 1)
  cluster_up 1
  loadgen fanout-curve 1 --mode curve --targets "127.0.0.1:$(port 1)" --room curve-$$ --subscribers "$subs" \
    --publishers 1 --rates "${CURVE_RATES:-25,50,100,150,200,300}" --warmup "${CURVE_WARMUP:-10}" \
    --step-warmup "${CURVE_STEP_WARMUP:-5}" --duration "${CURVE_STEP_SECONDS:-20}" --connect-batch 500 \
    --source-ips "$(source_ips "$subs")" --latency-sample "${CURVE_LATENCY_SAMPLE:-50}" \
    --expect "kneeDeliveriesPerSecond>=1500000" --expect "serverCpuMsPer1kDeliveries<=0.25"
  cluster_down
}

# many-rooms: MANY_ROOMS rooms (10,000) with 3 members each (MANY_ROOMS_MEMBERS): one of them
# publishes 1 message/s and receives like the others, so connections = 3 x rooms; one node.
scenario_many-rooms() {
  local members=${MANY_ROOMS_MEMBERS:-3} rooms
  ((members >= 2)) || die "MANY_ROOMS_MEMBERS must be at least 2"
  rooms=$(fit "${MANY_ROOMS:-10000}" "$members")
  cluster_up 1
  local -a jfr
  mapfile -t jfr < <(jfr_args many-rooms)
  loadgen many-rooms 1 --targets "127.0.0.1:$(port 1)" --room "many-$$" --rooms "$rooms" \
    --subscribers $((rooms * (members - 1))) --publishers "$rooms" --publishers-receive true \
    --rate "$((rooms * ${MANY_ROOMS_RATE:-1}))" --warmup "${MANY_ROOMS_WARMUP:-10}" --duration "${MANY_ROOMS_DURATION:-30}" \
    --connect-batch 500 --source-ips "$(source_ips $((rooms * members)))" "${jfr[@]}" \
    --expect "p99Ms<=100" --expect "serverCpuPercent<=50"
  cluster_down
  jfr_report many-rooms
}

# idle-conns: IDLE_CONNECTIONS (50,000) connections that join IDLE_ROOMS rooms (connections / 10)
# and send nothing more, not even pings, on one node; heap and RSS per connection from full GCs
# before and after. The node's idle timeout is raised to an hour, since these clients never send.
scenario_idle-conns() {
  local conns rooms
  conns=$(fit "${IDLE_CONNECTIONS:-50000}" 1)
  rooms=${IDLE_ROOMS:-$((conns / 10))}
  server_env LIVEROOM_RT_IDLE_TIMEOUT_MS=3600000
  cluster_up 1
  loadgen idle-conns 1 --mode idle --targets "127.0.0.1:$(port 1)" --room "idle-$$" --rooms "$rooms" \
    --subscribers "$conns" --publishers 0 --hold "${IDLE_HOLD:-10}" --connect-batch 500 --ping 0 \
    --source-ips "$(source_ips "$conns")" --expect "heapBytesPerConnection<=8192"
  cluster_down
}

# sweep: SWEEP_ROOMS (1,000,000) rooms created through the shard command path of a real shard
# node (io.liveroom.bench.SweepBench: clustered Vert.x over Hazelcast in the benchmark's JVM, Redis
# write-through), then all demoted by one sweep cycle of the shards' own sweep code (batches back
# to back, as the sweeper runs them), then SWEEP_HYDRATE (10,000) random ones touched again, 8 at a
# time. Driving the cycle from the benchmark starts the demotion when every room exists, instead of
# while they are being created. Redis is this script's own (REDIS_PORT): the benchmark flushes it.
scenario_sweep() {
  cluster_up 1
  scripts/dev-cluster.sh stop-node 1 >>"$OUT/cluster.log" 2>&1 # only its Redis is needed
  # shellcheck disable=SC2086
  java ${BENCH_JAVA_OPTS:--Xms2g -Xmx2g -XX:+UseG1GC} @conf/jvm-module-flags -cp "$TOOLS_CP" io.liveroom.bench.SweepBench \
    "redis://127.0.0.1:$REDIS_PORT" "${SWEEP_ROOMS:-1000000}" "${SWEEP_HYDRATE:-10000}" "$OUT/sweep.json" flush \
    2>>"$OUT/sweep.log" | tee -a "$OUT/sweep.log" | grep '^sweep:' || die "the sweep benchmark failed (see $OUT/sweep.log)"
  cluster_down
}

# failover: 3 nodes, many-rooms at 1/10 scale (FAILOVER_ROOMS 1,000 rooms x 3 members, 1 message/s
# per room), node 3 killed with SIGKILL after FAILOVER_WARMUP (10) s; then FAILOVER_DURATION (30)
# s of traffic while rooms and clients recover.
scenario_failover() {
  local members=3 rooms
  rooms=$(fit "${FAILOVER_ROOMS:-1000}" "$members")
  cluster_up 3
  loadgen failover 3 --mode failover --targets "$(targets 3)" --room "fo-$$" --rooms "$rooms" \
    --subscribers $((rooms * (members - 1))) --publishers "$rooms" --publishers-receive true \
    --rate "$rooms" --warmup "${FAILOVER_WARMUP:-10}" --duration "${FAILOVER_DURATION:-30}" \
    --kill-pid "$(node_pid 3)" --kill-target "127.0.0.1:$(port 3)" --source-ips "$(source_ips $((rooms * members)))" \
    --expect "recoverySeconds<=10" --expect "ackedLost<=0" --expect "duplicateSeqs<=0"
  cluster_down
}

run_one() { # scenario
  declare -F "scenario_$1" >/dev/null || die "unknown scenario '$1' (have: ${SCENARIOS[*]})"
  LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo -1)
  log "$1 on $(java -version 2>&1 | head -n 1); $(nproc 2>/dev/null || echo '?') cores; load average $LOAD_AT_START; open-file limit $FD_LIMIT"
  : >"$OUT/$1.log"
  rm -f "$OUT/$1.json" "$OUT/$1"-*.jfr "$OUT/$1-profile.txt" "$OUT/$1-latency.png" "$OUT/$1-throughput.png" \
    "$OUT/$1-cpu.png"
  # the jars are built once, before any node runs on them
  build_jars
  "scenario_$1"
  [[ -f $OUT/$1.json ]] || die "$1 wrote no result"
  log "result: $OUT/$1.json"
}

main() {
  [[ $# -eq 1 ]] || die "usage: scripts/bench.sh <scenario>|all|list"
  mkdir -p "$OUT"
  case $1 in
    list) printf '%s\n' "${SCENARIOS[@]}" ;;
    all)
      local s i=0 failed=()
      build_jars
      for s in "${SCENARIOS[@]}"; do
        i=$((i + 1))
        printf '[%d/%d] %s\n' "$i" "${#SCENARIOS[@]}" "$s"
        "$0" "$s" || failed+=("$s")
      done
      log "summary:"
      for s in "${SCENARIOS[@]}"; do
        if [[ -f $OUT/$s.json ]]; then
          grep -h "^$s:" "$OUT/$s.log" | tail -n 1 | sed 's/^/  /' || true
        fi
      done
      ((${#failed[@]} == 0)) || die "failed: ${failed[*]}"
      ;;
    *) run_one "$1" ;;
  esac
}

main "$@"
