#!/usr/bin/env bash
# scripts/pg-test-server.sh start DIR | stop DIR
#
# A throwaway PostgreSQL for the tests and benchmarks: `start` runs initdb in
# DIR (as the postgres user when run as root, since PostgreSQL refuses to run
# as root), starts it on a free loopback port with a Unix socket in DIR, and
# writes the server's URL (postgresql://hearth@127.0.0.1:PORT/) to DIR/url.
# Durability settings are relaxed (initdb --no-sync, fsync off): this server
# holds only test data and is removed by `stop`.  Fails loudly if PostgreSQL
# cannot start.
set -euo pipefail
cmd=${1:?usage: pg-test-server.sh start|stop DIR}
dir=${2:?usage: pg-test-server.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg-test-server: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 - 2>/dev/null <<'PY' || echo $((20000 + RANDOM % 20000))
import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
PY
}

case $cmd in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U hearth -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://hearth@127.0.0.1:$port/" >"$dir/url"
  echo "$port" >"$dir/port"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*) echo "usage: pg-test-server.sh start|stop DIR" >&2; exit 2 ;;
esac
