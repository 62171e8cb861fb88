#!/usr/bin/env bash
# Local Redis and InfluxDB for the demo, the tests and .ci/run. Idempotent.
#
#   bash scripts/services.sh install [--with-browser|--no-browser] [--with-notebooks]
#       installs the Debian packages redis-server, influxdb, strace and chromium (unless --no-browser) when missing
#   bash scripts/services.sh start     reuse what answers, else start our own (data under .prescale/, git-ignored)
#   bash scripts/services.sh stop      stop only what start started (pid files); a reused Redis is left alone
#   bash scripts/services.sh status    print what answers where (exit 0 when both answer, 3 otherwise)
#
# Addresses come from PRESCALE_REDIS_URL (default redis://127.0.0.1:6379) and PRESCALE_INFLUX_URL
# (default http://127.0.0.1:18086); influxd's RPC port from PRESCALE_INFLUX_RPC_PORT (default 18088).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.prescale"
REDIS_DIR="$STATE/redis"
INFLUX_DIR="$STATE/influxdb"

REDIS_URL="${PRESCALE_REDIS_URL:-redis://127.0.0.1:6379}"
INFLUX_URL="${PRESCALE_INFLUX_URL:-http://127.0.0.1:18086}"
INFLUX_RPC_PORT="${PRESCALE_INFLUX_RPC_PORT:-18088}"
INFLUX_TIMEOUT_S=30

say() { echo "$*" >&2; }
die() { say "$*"; exit 1; }

# host and port of a URL like scheme://[user:pass@]host:port[/path]
url_host() { local rest="${1#*://}"; rest="${rest##*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
url_port() {
  local rest="${1#*://}" default="$2"; rest="${rest##*@}"; rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then echo "${rest##*:}"; else echo "$default"; fi
}
REDIS_HOST="$(url_host "$REDIS_URL")"; REDIS_PORT="$(url_port "$REDIS_URL" 6379)"
INFLUX_HOST="$(url_host "$INFLUX_URL")"; INFLUX_PORT="$(url_port "$INFLUX_URL" 8086)"
INFLUX_BASE="${INFLUX_URL%/}"

is_loopback() { [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]; }

# Something speaking Redis answers on host:port (a PONG, or an auth error from a protected Redis).
redis_answers() {
  local reply=""
  { exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* || "$reply" == -NOAUTH* || "$reply" == -ERR* ]]
}

# HTTP status of a GET (curl when present, else node, which the project needs anyway).
http_status() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || echo 000
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => console.log(r.status), () => console.log("000"))' "$1"
  fi
}
influx_answers() { [[ "$(http_status "$INFLUX_BASE/ping")" == 204 ]]; }

# pid from a pid file when that process is still alive and is the expected program
live_pid() {
  local file="$1" program="$2" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  grep -q "$program" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# Our pid for a service only when it was started for this very address (its address file matches).
ours_at() {
  local dir="$1" program="$2" pidfile="$3" address="$4" pid
  pid="$(live_pid "$dir/$pidfile" "$program")" || return 1
  [[ "$(cat "$dir/address" 2>/dev/null || true)" == "$address" ]] || return 1
  echo "$pid"
}
redis_ours() { ours_at "$REDIS_DIR" redis-server redis.pid "127.0.0.1:$REDIS_PORT"; }
influx_ours() { ours_at "$INFLUX_DIR" influxd influxd.pid "127.0.0.1:$INFLUX_PORT"; }

# One start/stop at a time (the demo and the tests may call this together).
lock() {
  mkdir -p "$STATE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STATE/services.lock"
    flock -w 120 9 || die "services: another services.sh is still running (lock $STATE/services.lock)"
  fi
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "services: need root (or sudo) to run: $*"
  fi
}

cmd_install() {
  local with_browser=1 with_notebooks=0 arg
  for arg in "$@"; do
    case "$arg" in
      --with-browser) with_browser=1 ;;
      --no-browser) with_browser=0 ;;
      --with-notebooks) with_notebooks=1 ;;
      *) die "services install: unknown option $arg (expected --with-browser, --no-browser, --with-notebooks)" ;;
    esac
  done
  local packages=()
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
  command -v influxd >/dev/null 2>&1 || packages+=(influxdb)
  # test/e2e/read-only-root.test.ts traces the service's file writes.
  command -v strace >/dev/null 2>&1 || packages+=(strace)
  # The browser tests need chromium: installed by default, it is quick when already present.
  if [[ "$with_browser" == 1 ]] && ! command -v chromium >/dev/null 2>&1; then packages+=(chromium); fi
  if [[ "$with_notebooks" == 1 ]] && ! command -v jupyter-nbconvert >/dev/null 2>&1; then packages+=(jupyter-nbconvert); fi
  if [[ ${#packages[@]} -eq 0 ]]; then
    say "services: redis-server, influxd$([[ $with_browser == 1 ]] && echo ', chromium')$([[ $with_notebooks == 1 ]] && echo ', jupyter-nbconvert') already installed"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "services: missing ${packages[*]} and no apt-get: install them with your package manager"
  say "services: installing ${packages[*]} (apt-get)"
  as_root apt-get update -qq
  # The packages' postinst may say "policy-rc.d denied execution of start": fine, we start our own.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  say "services: installed ${packages[*]}"
}

start_redis() {
  if redis_answers; then
    if pid="$(redis_ours)"; then say "redis: already running on $REDIS_HOST:$REDIS_PORT (pid $pid, started by services.sh)"
    else say "redis: reusing $REDIS_HOST:$REDIS_PORT"; fi
    return 0
  fi
  is_loopback "$REDIS_HOST" || die "redis: nothing answers on $REDIS_HOST:$REDIS_PORT and it is not a local address: start it there or fix PRESCALE_REDIS_URL"
  command -v redis-server >/dev/null 2>&1 || die "redis: redis-server is not installed: run 'bash scripts/services.sh install'"
  mkdir -p "$REDIS_DIR"
  echo "127.0.0.1:$REDIS_PORT" >"$REDIS_DIR/address"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --save 60 1 --appendonly no >/dev/null 9>&-
  local i
  for i in $(seq 1 200); do
    redis_answers && { say "redis: started on 127.0.0.1:$REDIS_PORT (data ${REDIS_DIR#"$ROOT"/})"; return 0; }
    sleep 0.05
  done
  say "redis: did not answer on 127.0.0.1:$REDIS_PORT within 10 s; last lines of $REDIS_DIR/redis.log:"
  tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
  exit 1
}

write_influx_config() {
  mkdir -p "$INFLUX_DIR"
  # One template for this script and the test services (test/services.ts); | as the sed delimiter: paths hold /.
  sed -e "s|@RPC_PORT@|$INFLUX_RPC_PORT|g" -e "s|@HTTP_PORT@|$INFLUX_PORT|g" -e "s|@DATA_DIR@|$INFLUX_DIR|g" \
    "$ROOT/scripts/influxdb.conf.template" >"$INFLUX_DIR/influxdb.conf"
}

start_influx() {
  if influx_answers; then
    if pid="$(influx_ours)"; then say "influxdb: already running on $INFLUX_HOST:$INFLUX_PORT (pid $pid, started by services.sh)"
    else say "influxdb: reusing $INFLUX_HOST:$INFLUX_PORT"; fi
    return 0
  fi
  is_loopback "$INFLUX_HOST" || die "influxdb: nothing answers on $INFLUX_BASE/ping and it is not a local address: start it there or fix PRESCALE_INFLUX_URL"
  command -v influxd >/dev/null 2>&1 || die "influxdb: influxd is not installed: run 'bash scripts/services.sh install'"
  if pid="$(live_pid "$INFLUX_DIR/influxd.pid" influxd)"; then
    say "influxdb: our influxd (pid $pid) runs but does not answer on $INFLUX_BASE/ping: stopping it first"
    stop_pid "$pid" influxdb
  fi
  write_influx_config
  # setsid: not killed with the caller's terminal or process group (the demo's Ctrl-C).
  # 9>&-: the child must not inherit (and so hold) the services.sh lock.
  setsid nohup influxd run -config "$INFLUX_DIR/influxdb.conf" >"$INFLUX_DIR/influxd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$INFLUX_DIR/influxd.pid"
  echo "127.0.0.1:$INFLUX_PORT" >"$INFLUX_DIR/address"
  local started=$SECONDS
  while (( SECONDS - started < INFLUX_TIMEOUT_S )); do
    if influx_answers; then say "influxdb: started on 127.0.0.1:$INFLUX_PORT (data ${INFLUX_DIR#"$ROOT"/})"; return 0; fi
    if ! kill -0 "$(cat "$INFLUX_DIR/influxd.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  say "influxdb: did not answer on $INFLUX_BASE/ping within ${INFLUX_TIMEOUT_S} s; last lines of $INFLUX_DIR/influxd.log:"
  tail -n 20 "$INFLUX_DIR/influxd.log" >&2 || true
  exit 1
}

stop_pid() {
  local pid="$1" name="$2" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "$name: pid $pid did not stop within 10 s; sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
  local pid
  if pid="$(live_pid "$REDIS_DIR/redis.pid" redis-server)"; then
    stop_pid "$pid" redis; rm -f "$REDIS_DIR/redis.pid"; say "redis: stopped (pid $pid)"
  else
    say "redis: nothing of ours to stop$(redis_answers && echo " (leaving the Redis on $REDIS_HOST:$REDIS_PORT alone)")"
  fi
  if pid="$(live_pid "$INFLUX_DIR/influxd.pid" influxd)"; then
    stop_pid "$pid" influxdb; rm -f "$INFLUX_DIR/influxd.pid"; say "influxdb: stopped (pid $pid)"
  else
    say "influxdb: nothing of ours to stop$(influx_answers && echo " (leaving the InfluxDB on $INFLUX_HOST:$INFLUX_PORT alone)")"
  fi
}

cmd_status() {
  local ok=0 pid
  if redis_answers; then
    if pid="$(redis_ours)"; then echo "redis: answering on $REDIS_HOST:$REDIS_PORT (started by services.sh, pid $pid)"
    else echo "redis: answering on $REDIS_HOST:$REDIS_PORT (not started by services.sh)"; fi
  else echo "redis: nothing answers on $REDIS_HOST:$REDIS_PORT"; ok=3; fi
  if influx_answers; then
    if pid="$(influx_ours)"; then echo "influxdb: answering on $INFLUX_HOST:$INFLUX_PORT (started by services.sh, pid $pid, data ${INFLUX_DIR#"$ROOT"/})"
    else echo "influxdb: answering on $INFLUX_HOST:$INFLUX_PORT (not started by services.sh)"; fi
  else echo "influxdb: nothing answers on $INFLUX_BASE/ping"; ok=3; fi
  return $ok
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start) lock; start_redis; start_influx ;;
  stop) lock; cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: bash scripts/services.sh install [--with-browser] [--with-notebooks] | start | stop | status" ;;
esac
