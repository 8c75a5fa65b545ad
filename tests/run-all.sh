#!/usr/bin/env bash
# tests/run-all.sh [LAYER...] — run every test layer and sum them.
#
# Layers: unit (cmocka), http (declarative cases against a real server),
# browser (Playwright in Debian's Chromium, in two parts at once:
# tests/browser/run-parts.sh); the same on a throwaway
# PostgreSQL (pg-http, pg-browser, and the unit tests as san-pg-unit) with
# two servers sharing it (pg-two) and a SQLite partnership copied across
# (pg-migrate); the crash test (SIGKILL under write load, tests/crash) on
# both; a read's answer never before its audit row's commit (audit-order:
# tests/crash/audit_order.py); slow clients (flood), a full or read-only disk (diskfull,
# pg-diskfull), hostile text crawled through every page (crawl), one
# access-log line per request whatever the path holds (hostile-log), every fuzz
# target for 5 s in an -O0 build (fuzz: fuzz/run-ci.sh, whose build was
# most of the layer's CPU at -O1; make fuzz keeps -O1 and 60 s); unit and
# http under ASan+UBSan (san-unit, san-http).
# The unit tests and the HTTP cases each run once per backend: the unit
# tests in the sanitizer build on both (san-unit, san-pg-unit), the HTTP
# cases in it on SQLite (san-http) and in the plain build on PostgreSQL
# (pg-http) — the same assertions as the plain runs plus the sanitizers'
# checks, and the plain -O2 build is what every other layer drives.  Running
# each twice more (plain unit, http, pg-unit) cost a sixth of the suite's CPU
# for no assertion the others lack.  They, and valgrind, run when named.
#
# With no arguments the layers run in two lanes at once — SQLite and
# PostgreSQL — since most of their time is spent waiting on servers and
# the browser; set HEARTH_TEST_LANES=1 to run them one after another.
# Whenever two or more PostgreSQL layers run, one throwaway PostgreSQL
# (scripts/pg-test-server.sh) serves them all, each layer in databases of
# its own, and is removed at exit; a PostgreSQL layer named alone starts
# its own, and PG_SERVER=URL uses that server instead.  On that shared
# server the demo is seeded once, into the template database
# hearth_demo_template (HEARTH_PG_TEMPLATE, see pg_template below), and
# pg-http, pg-two, pg-crash and pg-browser copy it (CREATE DATABASE …
# TEMPLATE) instead of seeding their own.  The browser layers
# sign in through the form only where the form is what is tested, and
# otherwise through POST /api/v1/session (tests/browser/README.md).
# Named layers run one after another.  Each layer's output is printed
# whole when it ends, and each ends with "LAYER: N passed, N failed".  At
# the end: each layer's time, the FAIL lines of every failed layer, and the
# one line "N passed, N failed" over all of them; the exit status is
# non-zero if anything failed or a layer died without counting.
set -u
cd "$(dirname "$0")/.."
TIMEFORMAT='%U %S'
# The test servers' demo city: enough pupils for every page, quick to seed.
export HEARTH_DEMO_PUPILS=${HEARTH_DEMO_PUPILS:-2000}
lane_sqlite="hostile-log crash audit-order flood diskfull crawl fuzz browser san-http san-unit"
lane_pg="pg-http pg-two pg-migrate pg-crash pg-diskfull pg-browser san-pg-unit"

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-run-all-XXXXXX")
pgdir=""
trap '[ -z "$pgdir" ] || scripts/pg-test-server.sh stop "$pgdir" >/dev/null 2>&1; rm -rf "$work"' EXIT
trap 'kill 0; exit 130' INT TERM HUP
: >"$work/results" >"$work/failures"

# run_layer NAME CMD... — run one layer, print its output whole (under a
# lock, so two lanes never interleave), and append "NAME PASSED FAILED
# SECONDS" to the results and its FAIL lines to the failures.
run_layer() {
	local name=$1; shift
	local log="$work/$name.log" t0=$SECONDS rc
	# the CPU time (user and system) of the layer and everything it started
	{ time "$@" >"$log" 2>&1 </dev/null; } 2>"$work/$name.cpu"
	rc=$?
	local line p f
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=$(sed -E 's/^[a-z-]+: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")
	if [ -z "$line" ]; then
		p=0 f=1; echo "FAIL $name: the layer died without a count (exit $rc)" >>"$log"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "FAIL $name: exit $rc" >>"$log"
	fi
	(
		flock 9
		echo "== $name ($((SECONDS - t0)) s)"
		cat "$log"
		echo "$name $p $f $((SECONDS - t0)) $(awk '{printf "%d", $1 + $2}' "$work/$name.cpu")" >>"$work/results"
		if [ "$f" -gt 0 ]; then
			grep -E '^(FAIL|\[  FAILED  \]|\[  ERROR   \])' "$log" | sed "s/^/$name: /" >>"$work/failures"
			grep -qE '^(FAIL|\[  FAILED  \])' "$log" || echo "$name: failed (see its output above)" >>"$work/failures"
		fi
	) 9>"$work/lock"
}

layer() {
	case $1 in
	unit)     run_layer unit tests/run-unit.sh build ;;
	http)     run_layer http build/httptest --hearth build/hearth --cases tests/http/cases ;;
	hostile-log) run_layer hostile-log tests/http/hostile-access-log.sh build/hearth ;;
	crash)    run_layer crash python3 tests/crash/crash.py build/hearth ;;
	audit-order) run_layer audit-order python3 tests/crash/audit_order.py build/hearth ;;
	flood)    run_layer flood python3 tests/crash/flood.py build/hearth ;;
	diskfull) run_layer diskfull python3 tests/crash/diskfull.py build/hearth ;;
	fuzz)     run_layer fuzz fuzz/run-ci.sh ;;
	valgrind) run_layer valgrind tests/run-valgrind.sh ;;   # on demand (make valgrind): hours
	crawl)    run_layer crawl python3 tests/crawl/crawl.py build/hearth ;;
	browser)  run_layer browser tests/browser/run-parts.sh build/hearth ;;
	pg-unit)  run_layer pg-unit tests/run-unit-pg.sh build ;;   # on demand: san-pg-unit covers it
	pg-http|pg-two|pg-migrate|pg-crash|pg-diskfull|pg-browser)
	          run_layer "$1" tests/run-pg.sh "$1" ;;
	san-*)    san_ready "$1" || return 0
	          case $1 in
	          san-unit) run_layer san-unit tests/run-unit.sh build/san ;;
	          san-http) run_layer san-http build/san/httptest --hearth build/san/hearth --cases tests/http/cases ;;
	          san-pg-unit) run_layer san-pg-unit tests/run-unit-pg.sh build/san ;;
	          *) echo "unknown layer $1"; echo "$1 0 1 0 0" >>"$work/results"
	             echo "$1: unknown layer" >>"$work/failures" ;;
	          esac ;;
	*) echo "unknown layer $1"; echo "$1 0 1 0 0" >>"$work/results"
	   echo "$1: unknown layer" >>"$work/failures" ;;
	esac
}

lane() { local l; for l in "$@"; do layer "$l"; done; }

# The sanitizer build, once: started beside the lanes, which need it only
# for their last layers (san-*); each of those waits for it, and if it
# failed, fails without running (its log printed once).
if [ $# -gt 0 ]; then layers="$*"; else layers="$lane_sqlite $lane_pg"; fi
case " $layers " in
*" san-"*)
	( make --no-print-directory sanitize-build >"$work/san-build.log" 2>&1
	  echo $? >"$work/san-build.rc.tmp"; mv "$work/san-build.rc.tmp" "$work/san-build.rc" ) & ;;
esac

# san_ready LAYER — wait for the sanitizer build; 0 if it succeeded, else
# record LAYER as failed and return 1.
san_ready() {
	while [ ! -f "$work/san-build.rc" ]; do sleep 1; done
	[ "$(cat "$work/san-build.rc")" = 0 ] && return 0
	(
		flock 9
		if [ ! -f "$work/san-build.shown" ]; then
			cat "$work/san-build.log"; echo "FAIL the sanitizer build failed"
			: >"$work/san-build.shown"
		fi
		echo "$1 0 1 0 0" >>"$work/results"
		echo "$1: the sanitizer build failed" >>"$work/failures"
	) 9>"$work/lock"
	return 1
}

# One throwaway PostgreSQL for every PostgreSQL layer of this run (they run
# one after another in their lane, each in databases of its own), rather
# than an initdb, start and stop per layer; started at the head of the
# PostgreSQL lane (the SQLite lane does not wait for it) and removed at exit
# however the run ends.  A PostgreSQL layer named alone starts its own, as
# each does if this one cannot start.  PG_SERVER set: that server is used.
npg=0
for l in $layers; do case $l in pg-*|san-pg-unit) npg=$((npg + 1)) ;; esac; done
if [ "$npg" -ge 2 ] && [ -z "${PG_SERVER:-}" ]; then
	pgdir=$(mktemp -d /tmp/hearth-pg-lane-XXXXXX)
fi
pg_start() {
	[ -n "$pgdir" ] || return 0
	if scripts/pg-test-server.sh start "$pgdir" >"$work/pg-start.log" 2>&1; then
		PG_SERVER=$(cat "$pgdir/url")
		export PG_SERVER
		pg_template
	else
		( flock 9; echo "run-all: the shared PostgreSQL did not start (each layer tries its own):"
		  cat "$work/pg-start.log" ) 9>"$work/lock"
	fi
}

# The demo partnership, seeded once on the shared server into the database
# hearth_demo_template (`hearth demo`, this run's HEARTH_DEMO_PUPILS), made a
# template no one may connect to, and exported as HEARTH_PG_TEMPLATE: the
# layers that seed exactly that (pg-http, pg-two, pg-crash, pg-browser) then
# make their databases with CREATE DATABASE … TEMPLATE, a file copy, instead
# of a seed each (hearth's and postgres's CPU, about 6 s on an idle host
# and 11 under make test's load, and up to a minute's wall).  pg-diskfull
# seeds a smaller city and pg-migrate a SQLite one: they seed their own.
# Its time is reported as the line "pg-template".  If it fails, nothing is
# exported and every layer seeds its own, as a layer run alone does.
pg_template() {
	local want=0 l t0=$SECONDS admin db
	for l in $layers; do case $l in pg-http|pg-two|pg-crash|pg-browser) want=$((want + 1)) ;; esac; done
	[ "$want" -ge 2 ] && [ -z "${HEARTH_PG_TEMPLATE:-}" ] || return 0
	admin="${PG_SERVER%/}/postgres" db="${PG_SERVER%/}/hearth_demo_template"
	if { time { psql -XAtq "$admin" -c "CREATE DATABASE hearth_demo_template" &&
	            build/hearth demo --db "$db" &&
	            psql -XAtq "$admin" -c "ALTER DATABASE hearth_demo_template WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
	          } >"$work/pg-template.log" 2>&1; } 2>"$work/pg-template.cpu"; then
		HEARTH_PG_TEMPLATE=hearth_demo_template
		export HEARTH_PG_TEMPLATE
		echo "pg-template 0 0 $((SECONDS - t0)) $(awk '{printf "%d", $1 + $2}' "$work/pg-template.cpu")" >>"$work/results"
	else
		( flock 9; echo "run-all: seeding the PostgreSQL demo template failed (each layer seeds its own):"
		  cat "$work/pg-template.log" ) 9>"$work/lock"
	fi
}

if [ $# -eq 0 ] && [ "${HEARTH_TEST_LANES:-2}" != 1 ]; then
	# shellcheck disable=SC2086
	lane $lane_sqlite & a=$!
	# shellcheck disable=SC2086
	{ pg_start; lane $lane_pg; } & b=$!
	wait $a $b
else
	pg_start
	# shellcheck disable=SC2086
	lane $layers
fi

total_p=0 total_f=0 times="" cpu=0
while read -r name p f s c; do
	total_p=$((total_p + p)) total_f=$((total_f + f)) times="$times $name ${s}s/${c:-0}s"
	cpu=$((cpu + ${c:-0}))
done <"$work/results"
echo "layer times, wall/CPU:$times (total $SECONDS s, CPU $cpu s)"
if [ -s "$work/failures" ]; then
	echo "failures:"
	sed 's/^/  /' "$work/failures"
fi
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
