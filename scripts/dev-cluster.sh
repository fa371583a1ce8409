#!/usr/bin/env bash
# A local liveroom cluster for development: N nodes (one JVM each) over one Redis, on loopback.
#
#   scripts/dev-cluster.sh start [N]     start N nodes (default 3), Redis if none answers; idempotent
#   scripts/dev-cluster.sh stop          stop the nodes, and Redis if this script started it
#   scripts/dev-cluster.sh status        pid, port and readiness of every node; Redis PING
#   scripts/dev-cluster.sh add-node      start node N+1, which joins the running cluster of N nodes
#   scripts/dev-cluster.sh kill-node I   kill -9 node I: a crash, no goodbye and no drain
#   scripts/dev-cluster.sh stop-node I   stop node I gracefully (SIGTERM) and wait until it is gone
#   scripts/dev-cluster.sh start-node I  start node I again (after kill-node or stop-node)
#
# Node i listens on HTTP 8080+i-1 and Hazelcast 5701+i-1. Needs only a JDK 17: the jar is built
# with ./mvnw, and without redis-server on PATH the Linux binary of the embedded-redis artifact
# (Maven Central) is used. State, logs and pid files live in target/dev-cluster/.
#
# Environment: REDIS_MODE (standalone; cluster: a 3-master Redis Cluster on 7000-7002 with replicas on
# 7003-7005; sentinel: master 6379, replica 6380, Sentinels 26379-26381 watching 'liveroom'; see
# scripts/dev-redis-modes.sh), REDIS_PORT (6379, or the port of the last start), LIVEROOM_API_KEY (dev-key),
# LIVEROOM_JWT_SECRET (dev-secret; the nodes run with auth.jwt.allowWeakSecret), JAVA_OPTS (-Xmx512m),
# DEV_HTTP_BASE (8080) and DEV_CLUSTER_BASE (5701): first ports; DEV_STATE (target/dev-cluster);
# DEV_JAR (target/liveroom.jar, built when missing or older than the sources; another jar is used as it is).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STATE="${DEV_STATE:-target/dev-cluster}"
JAR="${DEV_JAR:-target/liveroom.jar}" # DEV_JAR: another build of the node (A/B runs of scripts/bench-ab.sh)
NODE_MARK=$(basename "$JAR") # what a node's command line holds: its jar, whatever its file name
HTTP_BASE=${DEV_HTTP_BASE:-8080}
CLUSTER_BASE=${DEV_CLUSTER_BASE:-5701}
READY_TIMEOUT=90
STOP_TIMEOUT=30
API_KEY="${LIVEROOM_API_KEY:-dev-key}"
JWT_SECRET="${LIVEROOM_JWT_SECRET:-dev-secret}"
# no module flags: the jar's manifest carries those Hazelcast and Netty ask for
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
EMBEDDED_REDIS="com.github.codemonstur:embedded-redis:1.4.4"
REDIS_DIR="$STATE/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_MARKER="$STATE/redis.started-by-us"
NODES_FILE="$STATE/nodes"
REDIS_PORT_FILE="$STATE/redis.port"
# the port of the last 'start' unless REDIS_PORT is given, so 'status' and 'stop' need no repeat
if [[ -z ${REDIS_PORT:-} && -f $REDIS_PORT_FILE ]]; then
  REDIS_PORT=$(<"$REDIS_PORT_FILE")
fi
REDIS_PORT="${REDIS_PORT:-6379}"
# the mode of the last 'start' unless REDIS_MODE is given
if [[ -z ${REDIS_MODE:-} && -f $STATE/redis.mode ]]; then
  REDIS_MODE=$(<"$STATE/redis.mode")
fi
REDIS_MODE="${REDIS_MODE:-standalone}"
[[ $REDIS_MODE =~ ^(standalone|cluster|sentinel)$ ]] || { printf 'dev-cluster: REDIS_MODE must be standalone, cluster or sentinel\n' >&2; exit 1; }
[[ $REDIS_PORT =~ ^[0-9]+$ ]] || { printf 'dev-cluster: REDIS_PORT must be a port number\n' >&2; exit 1; }

log() { printf '%s\n' "$*"; }
# A path under $ROOT made absolute (DEV_STATE may be either); redis-server needs absolute ones.
absolute() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$ROOT" "$1"; fi; }
die() { printf 'dev-cluster: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/dev-redis-modes.sh
source "$ROOT/scripts/dev-redis-modes.sh"

usage() {
  # the comment block at the top of this file, up to the first line that is not a comment
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

# --- processes --------------------------------------------------------------------------------

# The command line of a live pid, empty when it is gone.
cmdline_of() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true
  elif command -v ps >/dev/null 2>&1; then
    ps -p "$pid" -o command= 2>/dev/null || true
  elif kill -0 "$pid" 2>/dev/null; then
    printf 'unknown'
  fi
}

# Whether the pid in file $1 is alive and its command line contains $2 (guards against pid reuse).
pid_alive() {
  local file=$1 pattern=$2 pid cmd
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  cmd=$(cmdline_of "$pid")
  [[ -n $cmd ]] && { [[ $cmd == unknown ]] || [[ $cmd == *"$pattern"* ]]; }
}

# --- network (bash /dev/tcp: no redis-cli or curl needed) --------------------------------------

port_open() (
  exec 3<>"/dev/tcp/127.0.0.1/$1"
) 2>/dev/null

redis_ping() (
  line=''
  exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
  printf 'PING\r\n' >&3
  read -r -t 1 line <&3 || true
  [[ $line == +PONG* ]]
) 2>/dev/null

# The HTTP status of GET http://127.0.0.1:$1$2, 000 when nothing answers.
http_status() {
  local port=$1 path=$2
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port$path" 2>/dev/null || true
    return 0
  fi
  (
    code=000
    if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
      printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
      read -r -t 2 _ code _ <&3 || true
    fi
    code=${code%$'\r'}
    printf '%s' "${code:-000}"
  ) 2>/dev/null
}

# --- build ------------------------------------------------------------------------------------

any_node_alive() {
  local f
  for f in "$STATE"/node-*.pid; do
    [[ -e $f ]] || continue
    if pid_alive "$f" "$NODE_MARK"; then
      return 0
    fi
  done
  return 1
}

build_if_needed() {
  local why=''
  if [[ -n ${DEV_JAR:-} ]]; then
    [[ -f $JAR ]] || die "DEV_JAR=$JAR does not exist"
    return 0 # another build, used as it is
  fi
  if [[ ! -f $JAR ]]; then
    why="$JAR is missing"
  elif [[ -n $(find src/main conf pom.xml -newer "$JAR" -print -quit 2>/dev/null) ]]; then
    why="sources are newer than $JAR"
  fi
  [[ -n $why ]] || return 0
  if [[ -f $JAR ]] && any_node_alive; then
    # rewriting the jar under running JVMs breaks their class loading
    log "note: $why, but nodes are running on it: not rebuilding (run 'stop' then 'start' to rebuild)"
    return 0
  fi
  log "building $JAR ($why): ./mvnw -B -q -DskipTests package"
  ./mvnw -B -q -DskipTests package </dev/null
  [[ -f $JAR ]] || die "the build did not produce $JAR"
}

# --- redis ------------------------------------------------------------------------------------

find_jar_tool() {
  local java_bin
  if command -v jar >/dev/null 2>&1; then
    command -v jar
  elif [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/jar ]]; then
    printf '%s\n' "$JAVA_HOME/bin/jar"
  elif java_bin=$(command -v java) && [[ -x $(dirname "$(readlink -f "$java_bin")")/jar ]]; then
    printf '%s\n' "$(dirname "$(readlink -f "$java_bin")")/jar"
  else
    return 1
  fi
}

# Prints the path of a redis-server binary: the one on PATH, else the one of embedded-redis.
redis_binary() {
  local name lib jar_file jar_tool
  if command -v redis-server >/dev/null 2>&1; then
    command -v redis-server
    return 0
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-amd64) name=redis-server-6.2.6-v5-linux-amd64 ;;
    Linux-aarch64 | Linux-arm64) name=redis-server-6.2.7-linux-arm64 ;;
    Darwin-x86_64) name=redis-server-6.2.6-v5-darwin-amd64 ;;
    Darwin-arm64) name=redis-server-6.2.6-v5-darwin-arm64 ;;
    *) die "no redis-server on PATH and no embedded binary for $(uname -s)-$(uname -m): install redis-server" ;;
  esac
  lib="$STATE/lib"
  if [[ ! -x $lib/$name ]]; then
    mkdir -p "$lib"
    jar_file="$lib/embedded-redis-1.4.4.jar"
    if [[ ! -f $jar_file ]]; then
      log "no redis-server on PATH: fetching $EMBEDDED_REDIS from Maven Central" >&2
      ./mvnw -B -q dependency:copy -Dartifact="$EMBEDDED_REDIS" -DoutputDirectory="$lib" </dev/null >&2
    fi
    [[ -f $jar_file ]] || die "could not fetch $EMBEDDED_REDIS"
    jar_tool=$(find_jar_tool) || die "no 'jar' tool found (a JDK is needed, not only a JRE)"
    (cd "$lib" && "$jar_tool" xf "$(basename "$jar_file")" "$name") || die "could not extract $name"
    [[ -f $lib/$name ]] || die "$name is not in $jar_file"
    chmod +x "$lib/$name"
  fi
  printf '%s\n' "$(absolute "$lib/$name")"
}

start_redis() {
  local bin i ours
  if [[ $REDIS_MODE != standalone ]]; then
    start_redis_mode
    return 0
  fi
  if [[ -f $REDIS_MARKER ]]; then
    ours=$(<"$REDIS_MARKER")
    if pid_alive "$REDIS_PID" redis-server; then
      if [[ $ours != "$REDIS_PORT" ]]; then
        die "the Redis this script started runs on port $ours, not $REDIS_PORT: run 'stop' first"
      fi
      redis_ping "$REDIS_PORT" || die "the Redis this script started (pid $(<"$REDIS_PID")) does not answer PING on port $REDIS_PORT"
      log "redis: already running on 127.0.0.1:$REDIS_PORT (pid $(<"$REDIS_PID"), started by this script)"
      return 0
    fi
    log "redis: the Redis this script started is gone"
    rm -f "$REDIS_MARKER" "$REDIS_PID"
  fi
  if redis_ping "$REDIS_PORT"; then
    log "redis: reusing the Redis that answers on 127.0.0.1:$REDIS_PORT ('stop' will leave it running)"
    return 0
  fi
  if port_open "$REDIS_PORT"; then
    die "127.0.0.1:$REDIS_PORT is in use but does not answer Redis PING: set REDIS_PORT to a free port"
  fi
  bin=$(redis_binary)
  mkdir -p "$REDIS_DIR"
  log "redis: starting $bin on 127.0.0.1:$REDIS_PORT"
  "$bin" --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$(absolute "$REDIS_DIR")" --pidfile "$(absolute "$REDIS_PID")" \
    --logfile "$(absolute "$REDIS_DIR/redis.log")" </dev/null
  printf '%s\n' "$REDIS_PORT" >"$REDIS_MARKER"
  for ((i = 0; i < 50; i++)); do
    if redis_ping "$REDIS_PORT"; then
      log "redis: ready (pid $(cat "$REDIS_PID" 2>/dev/null || echo '?'))"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
  die "redis-server did not answer PING on 127.0.0.1:$REDIS_PORT within 5 s (log: $REDIS_DIR/redis.log)"
}

stop_redis() {
  local pid i
  if [[ $REDIS_MODE != standalone ]]; then
    stop_redis_mode
    return 0
  fi
  if [[ ! -f $REDIS_MARKER ]]; then
    if redis_ping "$REDIS_PORT"; then
      log "redis: not started by this script, leaving 127.0.0.1:$REDIS_PORT running"
    fi
    return 0
  fi
  if pid_alive "$REDIS_PID" redis-server; then
    pid=$(<"$REDIS_PID")
    log "redis: stopping pid $pid (port $(<"$REDIS_MARKER"))"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      pid_alive "$REDIS_PID" redis-server || break
      sleep 0.1
    done
    if pid_alive "$REDIS_PID" redis-server; then
      log "redis: still running after 10 s, killing pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  else
    log "redis: the Redis this script started is not running"
  fi
  rm -f "$REDIS_MARKER" "$REDIS_PID"
}

# --- nodes ------------------------------------------------------------------------------------

node_pid_file() { printf '%s/node-%s.pid' "$STATE" "$1"; }
node_log() { printf '%s/node-%s.log' "$STATE" "$1"; }
http_port() { printf '%s' $((HTTP_BASE + $1 - 1)); }
cluster_port() { printf '%s' $((CLUSTER_BASE + $1 - 1)); }

start_node() {
  local i=$1 members=$2 pid_file log_file hport cport
  local -a java_opts
  pid_file=$(node_pid_file "$i")
  log_file=$(node_log "$i")
  hport=$(http_port "$i")
  cport=$(cluster_port "$i")
  if pid_alive "$pid_file" "$NODE_MARK"; then
    log "node-$i: already running (pid $(<"$pid_file"), http $hport), left as it is"
    return 0
  fi
  rm -f "$pid_file"
  if port_open "$hport"; then
    die "node-$i: port $hport is already in use by another process"
  fi
  if port_open "$cport"; then
    die "node-$i: Hazelcast port $cport is already in use by another process"
  fi
  [[ -f $log_file ]] && mv -f "$log_file" "$log_file.prev"
  read -r -a java_opts <<<"$JAVA_OPTS"
  (
    export LIVEROOM_HTTP_HOST=127.0.0.1
    export LIVEROOM_HTTP_PORT="$hport"
    export LIVEROOM_CLUSTER_NAME=liveroom-dev
    export LIVEROOM_CLUSTER_HOST=127.0.0.1
    export LIVEROOM_CLUSTER_PORT="$cport"
    export LIVEROOM_CLUSTER_MEMBERS="$members"
    export LIVEROOM_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    while IFS='=' read -r k v; do [[ -n $k ]] && export "$k=$v"; done < <(mode_env)
    export LIVEROOM_AUTH_API_KEYS="$API_KEY"
    export LIVEROOM_AUTH_JWT_SECRET="$JWT_SECRET"
    # dev-secret is shorter than the 32 bytes a node asks of an HS256 secret: development only
    export LIVEROOM_AUTH_JWT_ALLOW_WEAK_SECRET=true
    nohup java "${java_opts[@]}" -jar "$JAR" >"$log_file" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$pid_file"
  )
  log "node-$i: started (pid $(<"$pid_file"), http $hport, hazelcast $cport, log $log_file)"
}

# Waits until each of the given nodes answers /health/ready with 200; exits if one dies or times out.
wait_ready() {
  local start=$SECONDS i code pending summary last_print=-5 pid_file
  local -a codes=()
  while true; do
    pending=0
    summary=''
    for i in "$@"; do
      pid_file=$(node_pid_file "$i")
      if ! pid_alive "$pid_file" "$NODE_MARK"; then
        log "node-$i exited during start-up; last lines of $(node_log "$i"):" >&2
        tail -n 40 "$(node_log "$i")" >&2 || true
        exit 1
      fi
      code=$(http_status "$(http_port "$i")" /health/ready)
      codes[i]=$code
      [[ $code == 200 ]] || pending=$((pending + 1))
      summary+=" node-$i=$code"
    done
    if ((pending == 0)); then
      if (($# == 1)); then
        log "node-$1 ready in $((SECONDS - start)) s"
      else
        log "all $# nodes ready in $((SECONDS - start)) s"
      fi
      return 0
    fi
    if ((SECONDS - start >= READY_TIMEOUT)); then
      log "timeout: not every node answered /health/ready with 200 within $READY_TIMEOUT s:$summary" >&2
      for i in "$@"; do
        if [[ ${codes[i]} != 200 ]]; then
          log "--- last lines of $(node_log "$i") (http $(http_port "$i") answered ${codes[i]}):" >&2
          tail -n 40 "$(node_log "$i")" >&2 || true
        fi
      done
      exit 1
    fi
    if ((SECONDS - last_print >= 5)); then
      log "waiting for /health/ready ($((SECONDS - start)) s):$summary"
      last_print=$SECONDS
    fi
    sleep 1
  done
}

cmd_start() {
  local n=${1:-3} i members='' known=0 last
  local -a all=()
  if ! [[ $n =~ ^[1-9][0-9]*$ ]] || ((n > 20)); then
    die "N must be between 1 and 20, got '$n'"
  fi
  command -v java >/dev/null 2>&1 || die "java is not on PATH (a JDK 17 is needed)"
  if ((${#API_KEY} < 6)); then
    die "LIVEROOM_API_KEY must have at least 6 characters"
  fi
  mkdir -p "$STATE"
  if any_node_alive && [[ -f $REDIS_PORT_FILE && $(<"$REDIS_PORT_FILE") != "$REDIS_PORT" ]]; then
    die "the running nodes use Redis on port $(<"$REDIS_PORT_FILE"), not $REDIS_PORT: run 'stop' first"
  fi
  build_if_needed
  start_redis
  printf '%s\n' "$REDIS_PORT" >"$REDIS_PORT_FILE"
  members=$(members_upto "$n")
  for ((i = 1; i <= n; i++)); do
    start_node "$i" "$members"
  done
  [[ -f $NODES_FILE ]] && known=$(<"$NODES_FILE")
  [[ $known =~ ^[0-9]+$ ]] || known=0
  ((n > known)) && printf '%s\n' "$n" >"$NODES_FILE"
  for ((i = 1; i <= n; i++)); do all+=("$i"); done
  wait_ready "${all[@]}"

  last=$(http_port "$n")
  log ""
  log "liveroom dev cluster: $n node(s)"
  for ((i = 1; i <= n; i++)); do
    log "  node-$i  http://localhost:$(http_port "$i")/   (hazelcast 127.0.0.1:$(cluster_port "$i"), log $STATE/node-$i.log)"
  done
  if [[ $REDIS_MODE == standalone ]]; then
    log "  redis    127.0.0.1:$REDIS_PORT"
  else
    log "  redis    $REDIS_MODE: $(mode_env | tr '\n' ' ')"
  fi
  log "  API key  $API_KEY   (Authorization: Bearer $API_KEY)"
  log "  JWT HS256 secret  $JWT_SECRET"
  log ""
  log "try:"
  log "  curl -XPOST localhost:$HTTP_BASE/api/v1/rooms -H 'Authorization: Bearer $API_KEY' -H 'Content-Type: application/json' -d '{\"id\":\"demo\",\"title\":\"Demo room\",\"ownerId\":\"host-1\"}'"
  log "  curl -H 'Authorization: Bearer $API_KEY' localhost:$last/api/v1/rooms/demo"
  log ""
  log "stop with: scripts/dev-cluster.sh stop"
}

# Waits up to STOP_TIMEOUT for the nodes of the given pid files to exit, SIGKILLs the ones left,
# and removes the pid files.
await_stopped() {
  local f pid i alive
  for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
    alive=0
    for f in "$@"; do
      if pid_alive "$f" "$NODE_MARK"; then alive=$((alive + 1)); fi
    done
    ((alive == 0)) && break
    if ((i > 0 && i % 10 == 0)); then log "waiting for $alive node(s) to stop ($((i / 2)) s)"; fi
    sleep 0.5
  done
  for f in "$@"; do
    if pid_alive "$f" "$NODE_MARK"; then
      pid=$(<"$f")
      log "$(basename "$f" .pid): still running after $STOP_TIMEOUT s, SIGKILL pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

cmd_stop() {
  local f pid
  local -a files=() pids=()
  for f in "$STATE"/node-*.pid; do
    [[ -e $f ]] || continue
    if pid_alive "$f" "$NODE_MARK"; then
      pid=$(<"$f")
      kill -TERM "$pid" 2>/dev/null || true
      log "$(basename "$f" .pid): SIGTERM sent to pid $pid"
      files+=("$f")
      pids+=("$pid")
    else
      log "$(basename "$f" .pid): not running"
      rm -f "$f"
    fi
  done
  if ((${#files[@]} > 0)); then
    await_stopped "${files[@]}"
    log "nodes stopped: ${pids[*]}"
  else
    log "no node running"
  fi
  stop_redis
  rm -f "$NODES_FILE" "$REDIS_PORT_FILE"
}

# The highest node number of this dev cluster: the nodes file, or the highest pid file.
known_nodes() {
  local n=0 f max
  [[ -f $NODES_FILE ]] && n=$(<"$NODES_FILE")
  [[ $n =~ ^[0-9]+$ ]] || n=0
  for f in "$STATE"/node-*.pid; do
    [[ -e $f ]] || continue
    max=${f##*/node-}
    max=${max%.pid}
    [[ $max =~ ^[0-9]+$ ]] && ((max > n)) && n=$max
  done
  printf '%s' "$n"
}

cmd_status() {
  local n i pid_file state code ok=0
  n=$(known_nodes)
  if ((n == 0)); then
    log "no dev cluster started from $ROOT"
    ok=1
  fi
  for ((i = 1; i <= n; i++)); do
    pid_file=$(node_pid_file "$i")
    if pid_alive "$pid_file" "$NODE_MARK"; then
      state="running (pid $(<"$pid_file"))"
    else
      state="not running"
      ok=1
    fi
    code=$(http_status "$(http_port "$i")" /health/ready)
    [[ $code == 200 ]] || ok=1
    printf 'node-%s  %-22s http %s  /health/ready %s\n' "$i" "$state" "$(http_port "$i")" \
      "$([[ $code == 000 ]] && echo 'no answer' || echo "$code")"
  done
  if [[ $REDIS_MODE != standalone ]]; then
    status_redis_mode || ok=1
  elif redis_ping "$REDIS_PORT"; then
    if [[ -f $REDIS_MARKER ]]; then
      log "redis   127.0.0.1:$REDIS_PORT PONG (started by this script, pid $(cat "$REDIS_PID" 2>/dev/null || echo '?'))"
    else
      log "redis   127.0.0.1:$REDIS_PORT PONG (not started by this script)"
    fi
  else
    log "redis   127.0.0.1:$REDIS_PORT no answer to PING"
    ok=1
  fi
  return "$ok"
}

# The Hazelcast join list of nodes 1..$1.
members_upto() {
  local k=$1 i members=''
  for ((i = 1; i <= k; i++)); do
    members+="${members:+,}127.0.0.1:$(cluster_port "$i")"
  done
  printf '%s' "$members"
}

# Checks that $1 is a node number (1..20) and prints it.
node_number() {
  if ! [[ ${1:-} =~ ^[1-9][0-9]*$ ]] || (($1 > 20)); then
    die "a node number between 1 and 20 is needed, got '${1:-}'"
  fi
  printf '%s' "$1"
}

# Starts node $1 alongside a running dev cluster: same Redis, a join list of every known node.
start_one() {
  local i=$1 known
  command -v java >/dev/null 2>&1 || die "java is not on PATH (a JDK 17 is needed)"
  known=$(known_nodes)
  ((known > 0)) || die "no dev cluster started from $ROOT: run 'start' first"
  if [[ -f $REDIS_PORT_FILE && $(<"$REDIS_PORT_FILE") != "$REDIS_PORT" ]]; then
    die "the dev cluster uses Redis on port $(<"$REDIS_PORT_FILE"), not $REDIS_PORT"
  fi
  mkdir -p "$STATE"
  build_if_needed
  start_redis
  printf '%s\n' "$REDIS_PORT" >"$REDIS_PORT_FILE"
  ((i > known)) && known=$i
  start_node "$i" "$(members_upto "$known")"
  printf '%s\n' "$known" >"$NODES_FILE"
  wait_ready "$i"
  log "  node-$i  http://localhost:$(http_port "$i")/   (hazelcast 127.0.0.1:$(cluster_port "$i"), log $(node_log "$i"))"
}

cmd_add_node() {
  local n
  n=$(known_nodes)
  ((n > 0)) || die "no dev cluster started from $ROOT: run 'start' first"
  any_node_alive || die "no node of the dev cluster is running: run 'start' first"
  ((n < 20)) || die "the dev cluster already has 20 nodes"
  log "adding node-$((n + 1)) to the cluster of $n node(s)"
  start_one "$((n + 1))"
}

cmd_start_node() {
  local i
  i=$(node_number "${1:-}")
  start_one "$i"
}

cmd_kill_node() {
  local i pid_file pid k
  i=$(node_number "${1:-}")
  pid_file=$(node_pid_file "$i")
  pid_alive "$pid_file" "$NODE_MARK" || die "node-$i is not running"
  pid=$(<"$pid_file")
  kill -KILL "$pid" 2>/dev/null || true
  for ((k = 0; k < 50; k++)); do
    pid_alive "$pid_file" "$NODE_MARK" || break
    sleep 0.1
  done
  pid_alive "$pid_file" "$NODE_MARK" && die "node-$i (pid $pid) is still there 5 s after SIGKILL"
  rm -f "$pid_file"
  log "node-$i: killed (SIGKILL, pid $pid); restart it with: scripts/dev-cluster.sh start-node $i"
}

cmd_stop_node() {
  local i pid_file pid start=$SECONDS
  i=$(node_number "${1:-}")
  pid_file=$(node_pid_file "$i")
  pid_alive "$pid_file" "$NODE_MARK" || die "node-$i is not running"
  pid=$(<"$pid_file")
  kill -TERM "$pid" 2>/dev/null || true
  log "node-$i: SIGTERM sent to pid $pid"
  await_stopped "$pid_file"
  log "node-$i: stopped in $((SECONDS - start)) s; restart it with: scripts/dev-cluster.sh start-node $i"
}

case "${1:-help}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  add-node) cmd_add_node ;;
  kill-node) shift; cmd_kill_node "$@" ;;
  stop-node) shift; cmd_stop_node "$@" ;;
  start-node) shift; cmd_start_node "$@" ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
