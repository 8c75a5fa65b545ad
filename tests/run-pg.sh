#!/usr/bin/env bash
# tests/run-pg.sh [LAYER...] — the HTTP, two-server and browser suites on
# PostgreSQL.
#
# Layers: pg-http (the HTTP cases and route test, build/httptest
# --db-server), pg-two (two `hearth serve` processes on one database,
# tests/http/pg-two-servers.sh) and pg-browser (the browser suite,
# run.mjs --db-server --no-axe: every page's behaviour on PostgreSQL; the
# axe-core checks of the same markup run in the SQLite layer); all three by
# default.  Starts one throwaway
# PostgreSQL 15 (scripts/pg-test-server.sh) for all of them and always
# removes it; each suite makes its own database there.  pg-diskfull (run
# only when named; tests/crash/diskfull.py --db-server) needs root and a
# server on this machine: it mounts a small tmpfs, makes it a tablespace
# for its database and fills it under `hearth serve` (a real disk full,
# SQLSTATE 53100), then makes the database read-only; it removes the
# database, the tablespace and the mount however it ends.  Set PG_SERVER to a
# server URL (postgresql://user@host:port/) to use that server instead:
# tests/run-all.sh starts one for all the PostgreSQL layers of its run and
# passes it so (pg-diskfull then still needs it on this machine, as that
# one is), with HEARTH_PG_TEMPLATE naming a database there already seeded
# by `hearth demo` (same HEARTH_DEMO_PUPILS): pg-http, pg-two, pg-crash and
# pg-browser then make theirs as copies of it (CREATE DATABASE … TEMPLATE)
# rather than seeding each; without it each seeds its own.
#
# Each layer ends with "LAYER: N passed, N failed".  If PostgreSQL cannot
# start, every requested layer reports "LAYER: 0 passed, 1 failed": a
# failure, not a skip.  Exit status 1 if any layer failed.
#   HEARTH    the hearth binary (default build/hearth)
#   HTTPTEST  the HTTP runner (default build/httptest)
set -u
cd "$(dirname "$0")/.."
hearth=${HEARTH:-build/hearth}
httptest=${HTTPTEST:-build/httptest}
layers=${*:-pg-http pg-two pg-migrate pg-browser}
rc=0

for l in $layers; do
	case $l in
	pg-http|pg-two|pg-browser|pg-migrate|pg-crash|pg-diskfull) ;;
	*) echo "run-pg: unknown layer $l (pg-http, pg-two, pg-migrate, pg-crash, pg-diskfull, pg-browser)" >&2; exit 2 ;;
	esac
done

url=${PG_SERVER:-}
if [ -z "$url" ]; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/hearth-pg-XXXXXX") || pgdir=
	[ -z "$pgdir" ] || trap 'scripts/pg-test-server.sh stop "$pgdir"' EXIT
	trap 'exit 130' INT TERM HUP
	if [ -n "$pgdir" ] && scripts/pg-test-server.sh start "$pgdir"; then
		url=$(cat "$pgdir/url")
		echo "run-pg: PostgreSQL at $url"
	else
		echo "run-pg: the throwaway PostgreSQL did not start"
	fi
fi

# relabel LAYER NAME: rename the runner's "NAME: N passed, N failed" lines.
relabel() {
	sed -u -E "s/^$2: ([0-9]+ passed, [0-9]+ failed)\$/$1: \\1/"
}

for l in $layers; do
	echo "== $l"
	if [ -z "$url" ]; then
		echo "$l: 0 passed, 1 failed"
		rc=1
		continue
	fi
	case $l in
	pg-http)
		"$httptest" --hearth "$hearth" --cases tests/http/cases --db-server "$url" 2>&1 | relabel pg-http http
		st=${PIPESTATUS[0]} ;;
	pg-two)
		tests/http/pg-two-servers.sh "$hearth" "$url" 2>&1
		st=$? ;;
	pg-migrate)
		tests/http/pg-migrate.sh "$hearth" "$url" 2>&1
		st=$? ;;
	pg-crash)
		python3 tests/crash/crash.py "$hearth" --db-server "$url" 2>&1
		st=$? ;;
	pg-diskfull)
		python3 tests/crash/diskfull.py "$hearth" --db-server "$url" 2>&1
		st=$? ;;
	pg-browser)
		# --no-axe: accessibility is the markup's, checked on SQLite
		tests/browser/run-parts.sh "$hearth" --db-server "$url" --no-axe 2>&1 | relabel pg-browser browser
		st=${PIPESTATUS[0]} ;;
	esac
	[ "$st" -eq 0 ] || rc=1
done
exit $rc
