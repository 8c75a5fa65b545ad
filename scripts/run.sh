#!/usr/bin/env bash
# scripts/run.sh — what `make run` does after building: make sure hearth.db
# exists with the demo partnership (or upgrade an existing database), print
# the demo sign-ins and the address, and serve.
#   HEARTH_DB      database URL (default sqlite:hearth.db)
#   HEARTH_LISTEN  address to listen on (default 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${HEARTH_DB:-sqlite:hearth.db}
listen=${HEARTH_LISTEN:-127.0.0.1:8080}
./hearth demo --db "$db"
echo
echo "Open http://$listen/ and sign in with one of the accounts above."
echo "Stop with Ctrl-C."
exec ./hearth serve --db "$db" --listen "$listen"
