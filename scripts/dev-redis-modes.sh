# Redis Sentinel and Redis Cluster for scripts/dev-cluster.sh (sourced by it; not run on its own).
#
#   REDIS_MODE=cluster   a 3-master Redis Cluster on 127.0.0.1:7000-7002 with one replica each on
#                        7003-7005 (redis-cli --cluster create when redis-cli is on PATH, else
#                        CLUSTER ADDSLOTS / MEET / REPLICATE by hand over /dev/tcp; REDIS_CLI=none
#                        forces that)
#   REDIS_MODE=sentinel  a master on 6379, a replica on 6380 and Sentinels on 26379-26381 watching
#                        master name 'liveroom' (quorum 2)
# The nodes get LIVEROOM_REDIS_MODE and LIVEROOM_REDIS_NODES or LIVEROOM_REDIS_SENTINELS and
# LIVEROOM_REDIS_MASTER_NAME. The mode of the last start is kept in $STATE/redis.mode, so 'stop'
# and 'status' need no repeat. Processes are redis-server daemons with pid files in $REDIS_DIR.

CLUSTER_PORTS=(7000 7001 7002 7003 7004 7005)
CLUSTER_MASTERS=3
SENTINEL_DATA_PORTS=(6379 6380)
SENTINEL_PORTS=(26379 26380 26381)
SENTINEL_MASTER_NAME=liveroom
REDIS_MODE_FILE="$STATE/redis.mode"

# One command to 127.0.0.1:$1 in RESP; prints a status, error or integer reply as its line, a bulk
# string as it is, and an array of bulk strings one per line.
resp() (
  port=$1
  shift
  exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
  req="*$#"$'\r\n'
  for a in "$@"; do req+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
  printf '%s' "$req" >&3
  bulk() {
    local n=$1 data=''
    ((n < 0)) && return 0
    ((n > 0)) && IFS= read -r -N "$n" -t 5 data <&3
    IFS= read -r -t 5 _ <&3 # the CRLF after it
    printf '%s\n' "$data"
  }
  IFS= read -r -t 5 line <&3 || exit 1
  line=${line%$'\r'}
  case $line in
    \$*) bulk "${line#\$}" ;;
    \**)
      for ((k = 0; k < ${line#\*}; k++)); do
        IFS= read -r -t 5 item <&3
        item=${item%$'\r'}
        if [[ $item == \$* ]]; then bulk "${item#\$}"; else printf '%s\n' "${item:1}"; fi
      done ;;
    *) printf '%s\n' "$line" ;;
  esac
) 2>/dev/null

mode_env() {
  local i hp=''
  case $REDIS_MODE in
    cluster)
      for ((i = 0; i < CLUSTER_MASTERS; i++)); do hp+="${hp:+,}127.0.0.1:${CLUSTER_PORTS[i]}"; done
      printf 'LIVEROOM_REDIS_MODE=cluster\nLIVEROOM_REDIS_NODES=%s\n' "$hp" ;;
    sentinel)
      for i in "${SENTINEL_PORTS[@]}"; do hp+="${hp:+,}127.0.0.1:$i"; done
      printf 'LIVEROOM_REDIS_MODE=sentinel\nLIVEROOM_REDIS_SENTINELS=%s\nLIVEROOM_REDIS_MASTER_NAME=%s\n' "$hp" \
        "$SENTINEL_MASTER_NAME" ;;
  esac
}

# Starts a redis-server daemon on port $1 with more options; its pid file is $REDIS_DIR/$1.pid.
start_daemon() {
  local port=$1 bin dir i
  shift
  if pid_alive "$REDIS_DIR/$port.pid" redis-server && redis_ping "$port"; then
    log "redis: $port already running (pid $(<"$REDIS_DIR/$port.pid"))"
    return 0
  fi
  port_open "$port" && die "127.0.0.1:$port is in use by another process: stop it, or use another REDIS_MODE"
  bin=$(redis_binary)
  dir=$(absolute "$REDIS_DIR/$port")
  mkdir -p "$dir"
  "$bin" "$@" --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no --dir "$dir" \
    --pidfile "$(absolute "$REDIS_DIR/$port.pid")" --logfile "$dir/redis.log" </dev/null
  for ((i = 0; i < 50; i++)); do
    redis_ping "$port" && return 0
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
  die "redis-server on $port did not answer PING within 5 s (log: $dir/redis.log)"
}

# Whether every replica port of the cluster follows a master.
replicas_follow() {
  local p
  for p in "${CLUSTER_PORTS[@]:CLUSTER_MASTERS}"; do
    [[ $(resp "$p" ROLE) == slave* ]] || return 1
  done
}

cluster_ok() { [[ $(resp "$1" CLUSTER INFO) == *cluster_state:ok* ]]; }

start_redis_cluster() {
  local p i from to m id
  local -a slots=() ids=() hps=()
  mkdir -p "$REDIS_DIR"
  for p in "${CLUSTER_PORTS[@]}"; do
    start_daemon "$p" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
  done
  if cluster_ok "${CLUSTER_PORTS[0]}"; then
    log "redis: cluster on ${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[-1]} already formed"
    return 0
  fi
  if command -v "${REDIS_CLI:-redis-cli}" >/dev/null 2>&1; then
    for p in "${CLUSTER_PORTS[@]}"; do hps+=("127.0.0.1:$p"); done
    log "redis: redis-cli --cluster create (3 masters, 1 replica each)"
    "${REDIS_CLI:-redis-cli}" --cluster create "${hps[@]}" --cluster-replicas 1 --cluster-yes >"$REDIS_DIR/cluster-create.log" 2>&1 \
      || { cat "$REDIS_DIR/cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
  else
    log "redis: no redis-cli: forming the cluster with CLUSTER ADDSLOTS, MEET and REPLICATE"
    for ((m = 0; m < CLUSTER_MASTERS; m++)); do
      from=$((16384 * m / CLUSTER_MASTERS))
      to=$((16384 * (m + 1) / CLUSTER_MASTERS - 1))
      slots=()
      for ((i = from; i <= to; i++)); do slots+=("$i"); done
      [[ $(resp "${CLUSTER_PORTS[m]}" CLUSTER ADDSLOTS "${slots[@]}") == +OK* ]] \
        || die "CLUSTER ADDSLOTS on ${CLUSTER_PORTS[m]} failed"
    done
    for p in "${CLUSTER_PORTS[@]:1}"; do
      resp "$p" CLUSTER MEET 127.0.0.1 "${CLUSTER_PORTS[0]}" >/dev/null
    done
    for ((m = 0; m < CLUSTER_MASTERS; m++)); do
      id=$(resp "${CLUSTER_PORTS[m]}" CLUSTER MYID)
      ids+=("${id%%$'\n'*}")
    done
    sleep 2 # the replicas must know the masters before they can follow them
    for ((m = 0; m < CLUSTER_MASTERS; m++)); do
      p=${CLUSTER_PORTS[m + CLUSTER_MASTERS]}
      for ((i = 0; i < 50; i++)); do
        [[ $(resp "$p" CLUSTER REPLICATE "${ids[m]}") == +OK* ]] && break
        sleep 0.2
      done
    done
  fi
  for ((i = 0; i < 100; i++)); do
    if cluster_ok "${CLUSTER_PORTS[0]}" && replicas_follow; then
      log "redis: cluster ready: masters ${CLUSTER_PORTS[*]:0:CLUSTER_MASTERS}, replicas ${CLUSTER_PORTS[*]:CLUSTER_MASTERS}"
      return 0
    fi
    sleep 0.2
  done
  die "the Redis Cluster did not reach cluster_state:ok with its replicas following within 20 s (logs: $REDIS_DIR/*/redis.log)"
}

start_redis_sentinel() {
  local p conf i
  mkdir -p "$REDIS_DIR"
  start_daemon "${SENTINEL_DATA_PORTS[0]}"
  start_daemon "${SENTINEL_DATA_PORTS[1]}" --replicaof 127.0.0.1 "${SENTINEL_DATA_PORTS[0]}"
  for p in "${SENTINEL_PORTS[@]}"; do
    conf="$(absolute "$REDIS_DIR")/sentinel-$p.conf"
    if [[ ! -f $conf ]]; then
      # Sentinel rewrites its config file as it learns: it must be writable and its own
      printf 'sentinel monitor %s 127.0.0.1 %s 2\nsentinel down-after-milliseconds %s 5000\nsentinel failover-timeout %s 10000\n' \
        "$SENTINEL_MASTER_NAME" "${SENTINEL_DATA_PORTS[0]}" "$SENTINEL_MASTER_NAME" "$SENTINEL_MASTER_NAME" >"$conf"
    fi
    start_daemon "$p" "$conf" --sentinel
  done
  for ((i = 0; i < 50; i++)); do
    if [[ $(resp "${SENTINEL_PORTS[0]}" SENTINEL GET-MASTER-ADDR-BY-NAME "$SENTINEL_MASTER_NAME") == *127.0.0.1* ]]; then
      log "redis: sentinel ready: master ${SENTINEL_DATA_PORTS[0]}, replica ${SENTINEL_DATA_PORTS[1]}, sentinels ${SENTINEL_PORTS[*]} watching '$SENTINEL_MASTER_NAME'"
      return 0
    fi
    sleep 0.1
  done
  die "the Sentinels do not name a master for '$SENTINEL_MASTER_NAME' (logs: $REDIS_DIR/*/redis.log)"
}

start_redis_mode() {
  mkdir -p "$STATE"
  printf '%s\n' "$REDIS_MODE" >"$REDIS_MODE_FILE"
  case $REDIS_MODE in
    cluster) start_redis_cluster ;;
    sentinel) start_redis_sentinel ;;
  esac
}

stop_redis_mode() {
  local f pid i
  for f in "$REDIS_DIR"/*.pid; do
    [[ -e $f ]] || continue
    if pid_alive "$f" redis-server; then
      pid=$(<"$f")
      log "redis: stopping $(basename "$f" .pid) (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do pid_alive "$f" redis-server || break; sleep 0.1; done
      pid_alive "$f" redis-server && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$f"
  done
  # a cluster node keeps its slots and peers in nodes.conf: start afresh next time
  rm -rf "${REDIS_DIR:?}"/[0-9]* "$REDIS_DIR"/sentinel-*.conf "$REDIS_MODE_FILE"
}

status_redis_mode() {
  local p ok=0 what
  case $REDIS_MODE in
    cluster)
      for p in "${CLUSTER_PORTS[@]}"; do
        if redis_ping "$p"; then
          printf 'redis   127.0.0.1:%s PONG %s\n' "$p" "$(resp "$p" CLUSTER INFO | grep -m1 cluster_state || true)"
        else
          printf 'redis   127.0.0.1:%s no answer to PING\n' "$p"
          ok=1
        fi
      done ;;
    sentinel)
      for p in "${SENTINEL_DATA_PORTS[@]}" "${SENTINEL_PORTS[@]}"; do
        if redis_ping "$p"; then printf 'redis   127.0.0.1:%s PONG\n' "$p"; else printf 'redis   127.0.0.1:%s no answer\n' "$p"; ok=1; fi
      done
      printf 'master  %s: %s\n' "$SENTINEL_MASTER_NAME" \
        "$(resp "${SENTINEL_PORTS[0]}" SENTINEL GET-MASTER-ADDR-BY-NAME "$SENTINEL_MASTER_NAME" | tr '\n' ' ')" ;;
  esac
  return "$ok"
}
