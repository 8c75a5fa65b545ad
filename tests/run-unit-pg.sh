#!/usr/bin/env bash
# tests/run-unit-pg.sh BUILD_DIR — the unit tests again, on PostgreSQL.
#
# Starts a throwaway PostgreSQL server (scripts/pg-test-server.sh) in a
# temporary directory, exports HEARTH_TEST_PG with its URL — each test's
# setup then makes, migrates and drops its own database there (see
# tests/unit/testdb.h) — and runs every cmocka binary under BUILD_DIR/tests
# except test_db_sqlite (about SQLite only).  Tests that do not touch a
# database simply run again.  Output as tests/run-unit.sh, ending with
# "pg-unit: N passed, N failed".  The server is stopped and removed on exit.
# If it cannot start, that is a failure ("pg-unit: 0 passed, 1 failed",
# non-zero exit), never a skip.  Set PG_SERVER to a server URL
# (postgresql://user@host:port/, a superuser) to use that server instead:
# tests/run-all.sh starts one for all its PostgreSQL layers.
set -u
b=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${PG_SERVER:-}" ]; then
  HEARTH_TEST_PG=$PG_SERVER
  export HEARTH_TEST_PG
  echo "PostgreSQL test server at $HEARTH_TEST_PG (PG_SERVER)"
  exec "$root/tests/run-unit.sh" "$b" pg-unit test_db_sqlite
fi
# the server's own directory (pg-test-server.sh hands it to the postgres
# user when run as root, so it must not sit inside a private one)
srv=$(mktemp -d /tmp/hearth-pg-unit-XXXXXX)
trap '"$root/scripts/pg-test-server.sh" stop "$srv" >/dev/null 2>&1; rm -rf "$srv"' EXIT
trap 'exit 130' INT TERM

if ! out=$("$root/scripts/pg-test-server.sh" start "$srv" 2>&1) || [ ! -s "$srv/url" ]; then
  printf '%s\n' "$out"
  echo "FAIL PostgreSQL test server did not start (scripts/pg-test-server.sh start $srv)"
  echo "pg-unit: 0 passed, 1 failed"
  exit 1
fi
HEARTH_TEST_PG=$(cat "$srv/url")
export HEARTH_TEST_PG
echo "PostgreSQL test server at $HEARTH_TEST_PG"

# every binary but test_db_sqlite (about SQLite only)
"$root/tests/run-unit.sh" "$b" pg-unit test_db_sqlite
