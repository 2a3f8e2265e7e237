#!/usr/bin/env bash
# Two E家 instances on one PostgreSQL database behind nginx (Debian's package), as a city
# would run them: nginx appends the client to X-Forwarded-For (the instances trust one hop),
# passes its request id, streams live events unbuffered, and sends a request to the other
# instance when one does not answer (never a POST that already reached an instance).
#
#   scripts/two-instances.sh start     # build if needed, start a + b + nginx; prints the address
#   scripts/two-instances.sh kill a    # kill -9 instance a (or b)
#   scripts/two-instances.sh start a   # start instance a again (or b)
#   scripts/two-instances.sh stop      # stop everything (SIGTERM: graceful)
#
# Settings (environment): DATABASE_URL (default: a fresh database `ejia_two` on
# 127.0.0.1:5432), EJIA_TWO_DIR (state: pids, logs, SMS log; default /tmp/ejia-two),
# EJIA_TWO_PORT (nginx, default 8080), EJIA_TWO_PORTS (the instances', default "3101 3102"),
# EJIA_BIN (default: the release build). SMS go to $EJIA_TWO_DIR/sms.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dir="${EJIA_TWO_DIR:-/tmp/ejia-two}"
port="${EJIA_TWO_PORT:-8080}"
read -r port_a port_b <<<"${EJIA_TWO_PORTS:-3101 3102}"
bin="${EJIA_BIN:-$CARGO_TARGET_DIR/release/ejia}"
mkdir -p "$dir"

port_of() { if [ "$1" = a ]; then echo "$port_a"; else echo "$port_b"; fi; }

start_instance() { # a|b
  local name=$1 p
  p=$(port_of "$name")
  # Both instances share the database, the key, the data directory (attachments) and the SMS log.
  LEPTOS_SITE_ADDR="127.0.0.1:$p" EJIA_PUBLIC_URL="http://127.0.0.1:$port" DATABASE_URL="$(cat "$dir/database_url")" \
    EJIA_DATA_KEY="$(cat "$dir/data_key")" EJIA_DATA_DIR="$dir/data" EJIA_SMS_LOG="$dir/sms.jsonl" \
    EJIA_TRUSTED_PROXY_HOPS=1 EJIA_LOG_FORMAT=json EJIA_SHUTDOWN_GRACE="${EJIA_SHUTDOWN_GRACE:-10}" \
    "$bin" >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null 2>&1 && { echo "instance $name ready on 127.0.0.1:$p (pid $(cat "$dir/$name.pid"))"; return 0; }
    kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || { echo "instance $name died; see $dir/$name.log" >&2; tail -5 "$dir/$name.log" >&2; return 1; }
    sleep 0.1
  done
  echo "instance $name did not become ready; see $dir/$name.log" >&2
  return 1
}

start_nginx() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "two-instances: installing nginx (apt)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
  fi
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$dir/nginx"
  sed -e "s|@DIR@|$dir/nginx|g" -e "s|@PORT@|$port|g" -e "s|@A@|$port_a|g" -e "s|@B@|$port_b|g" scripts/nginx.conf >"$dir/nginx/nginx.conf"
  "$nginx" -c "$dir/nginx/nginx.conf" -p "$dir/nginx" -e "$dir/nginx/error.log"
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { echo "nginx on http://127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  echo "nginx did not answer; see $dir/nginx/error.log" >&2
  return 1
}

stop_pid() { # file signal
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}

case "${1:-start}:${2:-}" in
  start:)
    if [ ! -x "$bin" ]; then cargo build --release --features ssr --bin ejia; fi
    if [ ! -f "$dir/database_url" ]; then
      url="${DATABASE_URL:-}"
      if [ -z "$url" ]; then
        pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
        psql postgres://postgres@127.0.0.1:5432/test -qc "DROP DATABASE IF EXISTS ejia_two" -c "CREATE DATABASE ejia_two"
        url=postgres://postgres@127.0.0.1:5432/ejia_two
      fi
      echo "$url" >"$dir/database_url"
      # The instances' shared data key: 32 random bytes as key 1.
      (umask 077 && echo "1:$(head -c 32 /dev/urandom | base64 -w0)" >"$dir/data_key")
    fi
    start_instance a
    start_instance b
    start_nginx
    ;;
  start:a | start:b) start_instance "$2" ;;
  kill:a | kill:b) stop_pid "$dir/$2.pid" 9; echo "instance $2 killed (-9)" ;;
  stop:)
    stop_pid "$dir/nginx/nginx.pid" TERM
    stop_pid "$dir/a.pid" TERM
    stop_pid "$dir/b.pid" TERM
    echo "stopped"
    ;;
  *) echo "usage: $0 start | kill a|b | start a|b | stop" >&2; exit 2 ;;
esac
