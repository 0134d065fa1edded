# Sourced by bench/run: starts and stops the servers under test on 127.0.0.1.
# Every start_* function sets SERVER_PID and SERVER_PORT (and DNSD_HTTP_PORT for dnsd)
# and appends the PID to STARTED_PIDS, which bench/run's trap ends on exit.
# Needs: HERE (bench/dns), DNSD_BIN, PINNED (1/0), RUN_DIR (scratch directory).

STARTED_PIDS=()

server_threads() { if [ "$PINNED" = 1 ]; then echo 1; else echo 2; fi; }
pin_server() { if [ "$PINNED" = 1 ]; then echo "taskset -c 0"; fi; }

# wait_dns PORT SECONDS: until the server answers SOA discovery. (bounded).
wait_dns() {
  local port=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    if kdig @127.0.0.1 -p "$port" discovery. SOA +norec +time=1 +retry=0 2>/dev/null |
        grep -q 'status: NOERROR'; then
      return 0
    fi
    sleep 0.1
  done
  echo "server on port $port did not answer within ${limit}s" >&2
  return 1
}

# start_knot ZONEFILE
start_knot() {
  local zone=$1 dir=$RUN_DIR/knot
  rm -rf "$dir" && mkdir -p "$dir/db"
  SERVER_PORT=$(python3 "$HERE/free_port.py")
  cat > "$dir/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$SERVER_PORT
    rundir: $dir
    udp-workers: $(server_threads)
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: $dir/db
template:
  - id: default
    storage: $dir
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: discovery.
    file: $zone
CONF
  $(pin_server) knotd -c "$dir/knot.conf" -s "$dir/knot.sock" > "$dir/knot.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_dns "$SERVER_PORT" 300
}

# start_nsd ZONEFILE
start_nsd() {
  local zone=$1 dir=$RUN_DIR/nsd
  rm -rf "$dir" && mkdir -p "$dir"
  SERVER_PORT=$(python3 "$HERE/free_port.py")
  cat > "$dir/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$SERVER_PORT
    port: $SERVER_PORT
    do-ip6: no
    server-count: $(server_threads)
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
    verbosity: 0
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: discovery.
    zonefile: $zone
CONF
  $(pin_server) nsd -d -c "$dir/nsd.conf" > "$dir/nsd.out" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  wait_dns "$SERVER_PORT" 300
}

# start_dnsd NAME [extra dnsd flags...]: reads the ports from the startup line.
start_dnsd() {
  local name=$1 dir=$RUN_DIR/$1 i line=""
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  $(pin_server) "$DNSD_BIN" --dns-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --log-level warn "$@" > "$dir/stdout" 2> "$dir/stderr" &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  for ((i = 0; i < 300; i++)); do
    line=$(grep -m1 "^listening " "$dir/stdout" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$line" ]; then
    echo "dnsd did not start; stderr:" >&2
    tail -20 "$dir/stderr" >&2
    return 1
  fi
  SERVER_PORT=$(sed -E 's/.*dns=127\.0\.0\.1:([0-9]+).*/\1/' <<< "$line")
  DNSD_HTTP_PORT=$(sed -E 's/.*http=127\.0\.0\.1:([0-9]+).*/\1/' <<< "$line")
}

# stop_server PID: SIGTERM, then SIGKILL after 10 s.
stop_server() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all_servers() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_server "$pid"
  done
  STARTED_PIDS=()
}
