#!/usr/bin/env bash
# Soak test: mixed load against a local cluster for a long time, then a check that the nodes come
# back to their baseline once the load stops.
#
#   scripts/soak.sh [DURATION]     DURATION: 30m (default), 90s, 1h or plain seconds; or SOAK_DURATION
#
# Starts SOAK_NODES nodes with scripts/dev-cluster.sh, each with a fixed heap (-Xms = -Xmx = SOAK_HEAP)
# and sweeper.idleAfterMs 10 s, so rooms leave the heap soon after the load. Then runs
# io.liveroom.loadgen.Soak from target/liveroom-tools.jar (built with ./mvnw when missing or older
# than src/tools; the nodes' target/liveroom.jar is built by dev-cluster.sh): a warm-up of mixed
# load, a baseline, the mixed load for DURATION (io.liveroom.loadgen.MixedLoad: connections coming
# and going over raw WebSocket, SockJS WebSocket and xhr-polling, joins, leaves, sends, rooms
# created and ended, REST reads and publishes), and the same measurement again. A measurement waits until the nodes are idle (no connection, no
# SockJS session, no hot room), runs `jcmd <pid> GC.run` twice and reads /metrics. The check, per
# node: post-GC heap within max(4 MiB, 10%) of the baseline, live threads within 4, SockJS sessions,
# connections, hot rooms and open HTTP connections back to the baseline; the node alive, its log
# without blocked-thread warnings or OutOfMemoryError; and at most 0.1% unexpected load outcomes.
# Writes $SOAK_OUT/result.json and one summary line; stops the nodes (and Redis, if it started it)
# whatever happens. Exit status: 0 all checks passed, 1 a check failed or something broke, 2 usage.
#
# Environment: SOAK_DURATION (30m), SOAK_WARMUP (60s), SOAK_NODES (2), SOAK_HEAP (256m),
# SOAK_OUT (target/soak), SOAK_ARGS (more options for Soak and MixedLoad, e.g.
# "--connections 500 --heap-tolerance-mib 8"; see `java -cp target/liveroom-tools.jar:target/liveroom.jar
# io.liveroom.loadgen.Soak --help`), and those of scripts/dev-cluster.sh, with other defaults here so
# that a soak can run beside a dev cluster: DEV_HTTP_BASE (8180), DEV_CLUSTER_BASE (5801),
# REDIS_PORT (6399), DEV_STATE ($SOAK_OUT/cluster); LIVEROOM_API_KEY, LIVEROOM_JWT_SECRET.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { printf 'soak: %s\n' "$*" >&2; exit 2; }

# "30m", "90s", "1h" or seconds -> seconds
seconds_of() {
  [[ $1 =~ ^([0-9]+)([smh]?)$ ]] || die "a duration is N, Ns, Nm or Nh, got '$1'"
  case "${BASH_REMATCH[2]}" in
    h) printf '%s' $((BASH_REMATCH[1] * 3600)) ;;
    m) printf '%s' $((BASH_REMATCH[1] * 60)) ;;
    *) printf '%s' "${BASH_REMATCH[1]}" ;;
  esac
}

case "${1:-}" in
  -h | --help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
DURATION=$(seconds_of "${1:-${SOAK_DURATION:-30m}}")
WARMUP=$(seconds_of "${SOAK_WARMUP:-60s}")
NODES=${SOAK_NODES:-2}
HEAP=${SOAK_HEAP:-256m}
OUT=${SOAK_OUT:-target/soak}
[[ $NODES =~ ^[1-9]$ ]] || die "SOAK_NODES must be 1..9, got '$NODES'"
[[ $HEAP =~ ^[0-9]+[mMgG]$ ]] || die "SOAK_HEAP must be like 256m or 1g, got '$HEAP'"
((DURATION >= 1)) || die "the duration must be at least 1 s"

export DEV_HTTP_BASE=${DEV_HTTP_BASE:-8180}
export DEV_CLUSTER_BASE=${DEV_CLUSTER_BASE:-5801}
export REDIS_PORT=${REDIS_PORT:-6399}
export DEV_STATE=${DEV_STATE:-$OUT/cluster}
# rooms idle for 10 s are demoted to Redis, so the heap after the load holds no room of it
export LIVEROOM_SWEEPER_IDLE_AFTER_MS=${LIVEROOM_SWEEPER_IDLE_AFTER_MS:-10000}
API_KEY="${LIVEROOM_API_KEY:-dev-key}"
JWT_SECRET="${LIVEROOM_JWT_SECRET:-dev-secret}"
NODE_FLAGS="-Xms$HEAP -Xmx$HEAP -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=$OUT"
export JAVA_OPTS="$NODE_FLAGS" # the nodes run java -jar: the module flags are in the jar's manifest

TOOLS_JAR=target/liveroom-tools.jar
mkdir -p "$OUT"
for f in "$DEV_STATE"/node-*.pid; do
  [[ -e $f ]] || continue
  if kill -0 "$(<"$f")" 2>/dev/null; then
    die "a node of $DEV_STATE is running (pid $(<"$f")): stop it first with DEV_STATE=$DEV_STATE scripts/dev-cluster.sh stop"
  fi
done
rm -f "$OUT/result.json"
if [[ ! -f $TOOLS_JAR || -n $(find src/tools pom.xml -newer "$TOOLS_JAR" -print -quit 2>/dev/null) ]]; then
  printf 'soak: building %s: ./mvnw -B -q -DskipTests package\n' "$TOOLS_JAR"
  ./mvnw -B -q -DskipTests package </dev/null
fi

started=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if ((started)); then
    printf 'soak: stopping the cluster\n'
    scripts/dev-cluster.sh stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf 'soak: %s s of load after %s s of warm-up, %s node(s) with %s\n' "$DURATION" "$WARMUP" "$NODES" "$NODE_FLAGS"
started=1
scripts/dev-cluster.sh start "$NODES"

urls='' pids='' logs=''
for ((i = 1; i <= NODES; i++)); do
  urls+="${urls:+,}http://127.0.0.1:$((DEV_HTTP_BASE + i - 1))"
  pids+="${pids:+,}$(<"$DEV_STATE/node-$i.pid")"
  logs+="${logs:+,}$DEV_STATE/node-$i.log"
done

status=0
# shellcheck disable=SC2086 # SOAK_ARGS is a list of options
java -Xmx512m -cp "$TOOLS_JAR:target/liveroom.jar" io.liveroom.loadgen.Soak \
  --urls "$urls" --pids "$pids" --logs "$logs" \
  --duration "$DURATION" --warmup "$WARMUP" --out "$OUT/result.json" \
  --api-key "$API_KEY" --jwt-secret "$JWT_SECRET" \
  --jvm-flags "$NODE_FLAGS" --command "scripts/soak.sh $*" \
  ${SOAK_ARGS:-} </dev/null || status=$?
if [[ -f $OUT/result.json ]]; then
  printf 'soak: result in %s\n' "$OUT/result.json"
fi
exit "$status"
