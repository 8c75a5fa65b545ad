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
# non-zero exit), never a skip.
set -u
b=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
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

passed=0 failed=0 ran=0
for t in "$b"/tests/test_*; do
  [ -x "$t" ] || continue
  case $(basename "$t") in test_db_sqlite) continue ;; esac
  ran=$((ran + 1))
  out=$(timeout 300 "$t" 2>&1); rc=$?   # a hung binary fails, it does not stall
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    printf '%s\n' "$out" | grep -v '^\[ \(RUN\|       OK\) ' ; echo "FAIL $(basename "$t") (exit $rc)"
  else
    echo "ok   $(basename "$t"): $p"
  fi
  passed=$((passed + p)) failed=$((failed + f))
done
if [ "$ran" -eq 0 ]; then
  echo "FAIL no test binaries under $b/tests"
  failed=$((failed + 1))
fi
echo "pg-unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
