#!/usr/bin/env bash
# bench/run.sh — `make bench`: GET /api/v1/me against two ceilings, on both
# database backends.
#
# Starts, on free loopback ports, servers that all answer the same bytes
# (the body and headers hearth returns for the demo admin's /api/v1/me):
#   nginx          a static file (the ceiling of this machine)
#   bare_mhd       bench/bare_mhd.c, libmicrohttpd doing nothing (our
#                  library's ceiling)
#   hearth sqlite  ./hearth serve on a fresh demo SQLite database: session
#                  lookup, capability check, audit row in its transaction, JSON
#   hearth pg x1   ./hearth serve on a fresh demo PostgreSQL database (a
#                  throwaway PostgreSQL started here with its durable defaults)
#   hearth pg x2   two ./hearth serve processes on that same database, the
#                  load split across both (two wrk processes at once)
# and drives each in turn with wrk (same request, same Cookie header), then
# prints requests/s, p99 and the ratios, and writes build/bench/results-api.txt.
# See bench/README.md.
#
# Environment:
#   BENCH_SECONDS=10      wrk duration per run
#   BENCH_WARMUP=1        seconds of unrecorded warm-up per run (0: none)
#   BENCH_ROUNDS=3        rounds; each round runs every server once, in the
#                         same order, and each figure reported is the median
#                         of its rounds (one slow or fast moment of a shared
#                         machine moves one round, not the result)
#   BENCH_THREADS=2       wrk threads          BENCH_CONNECTIONS=64  wrk connections
#                         (the two-process run gives each of its two wrk
#                         processes half of both, at least 1 thread)
#   BENCH_WORKERS=nproc   nginx worker processes and bare_mhd pool threads
#   BENCH_HEARTH=./hearth the binary to measure
#   BENCH_HEARTH_ARGS=    extra `hearth serve` arguments (e.g. --quiet, --threads 1)
#   BENCH_PG=0            skip the PostgreSQL rows (shown as not run; quick SQLite runs)
#   BENCH_PG_OPTIONS=    extra PostgreSQL server options (e.g. '-c synchronous_commit=off';
#                         default none: PostgreSQL's durable defaults)
#   BENCH_STRICT=1        exit 1 when a target is missed (default: report only)
#   BENCH_KEEP=1          keep the temporary directory (logs, configs, databases)
#
# Exit status: 0 when every run was valid (all 2xx, same bytes, audit rows
# written); 1 when a run failed or a hearth configuration could not be
# measured, PostgreSQL failing to start included (what could be measured is
# still measured and reported in that case).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-1}
WRK_THREADS=${BENCH_THREADS:-2}
WRK_CONNS=${BENCH_CONNECTIONS:-64}
WORKERS=${BENCH_WORKERS:-$(nproc)}
HEARTH=${BENCH_HEARTH:-./hearth}
HEARTH_ARGS=${BENCH_HEARTH_ARGS:-}
PG_OPTIONS=${BENCH_PG_OPTIONS:-}
WITH_PG=${BENCH_PG:-1}
OUT=build/bench
RESULTS=$OUT/results-api.txt
PATH_ME=/api/v1/me
EMAIL=admin@hearth.example
PASSWORD=hearth-demo-password
PG_DBNAME=hearth_bench
# Used for the baselines only when no hearth could be set up.
FALLBACK_BODY='{"user":{"id":1,"email":"admin@hearth.example","name":"Demo Admin","role":"admin","school":null}}'

for tool in wrk nginx curl sqlite3 gcc pkg-config psql; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (scripts/deps.sh bench installs it)" >&2; exit 1; }
done

mkdir -p "$OUT"
rm -f "$OUT"/headers-*.txt "$OUT"/wrk-*.txt "$RESULTS"	# no stale figures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench.XXXXXX")
pids=()		# servers we started and have not reaped
wrk_pids=()	# the wrk processes running now
pg_data=	# the PostgreSQL data directory once initdb has run
pg_up=		# set while the PostgreSQL server we started runs
failed=0

# running PID: our child PID has not exited (a zombie has: it is ours until
# reaped, so its pid cannot have been reused).
running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# Stop what we started: wrk, then the servers (TERM, up to 5 s to exit,
# then KILL), then PostgreSQL (after its clients), then the files.
cleanup() {
	local p tries=50 left
	for p in "${wrk_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	while [ "$tries" -gt 0 ]; do
		left=0
		for p in "${pids[@]}"; do running "$p" && left=1; done
		[ "$left" = 1 ] || break
		sleep 0.1; tries=$((tries - 1))
	done
	for p in "${pids[@]}"; do
		if running "$p"; then
			say "pid $p ignored SIGTERM for 5 s; killing it"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	for p in "${pids[@]}" "${wrk_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -z "$pg_up" ] || pg_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
fail() { say "FAIL: $*"; failed=1; }

# ---- ports and processes -------------------------------------------------

# A port with nothing listening on it. The servers are started with a retry
# (start_on_free_port), so losing a race for the port costs one more try.
pick_port() {
	local port
	for _ in $(seq 1 200); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"; return 0
		fi
	done
	return 1
}

# wait_http PID URL [SECONDS]: until URL answers over HTTP; fails early if
# PID exits (e.g. the port was taken after all).
wait_http() {
	local pid=$1 url=$2 tries=$((${3:-10} * 10))
	while [ "$tries" -gt 0 ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		if curl -s -o /dev/null --max-time 1 "$url"; then
			kill -0 "$pid" 2>/dev/null && return 0 || return 1
		fi
		sleep 0.1; tries=$((tries - 1))
	done
	return 1
}

# start_on_free_port NAME STARTFN CHECKPATH: calls STARTFN PORT (which starts
# the server in the background and sets $started_pid) on fresh ports until
# one answers; sets $port.
start_on_free_port() {
	local name=$1 startfn=$2 check=$3 attempt
	for attempt in 1 2 3 4 5; do
		port=$(pick_port) || break
		"$startfn" "$port"
		pids+=("$started_pid")
		if wait_http "$started_pid" "http://127.0.0.1:$port$check" 15; then
			return 0
		fi
		kill -TERM "$started_pid" 2>/dev/null || true
		wait "$started_pid" 2>/dev/null || true
		unset 'pids[-1]'	# reaped: its pid may be reused
		say "$name did not start on port $port (attempt $attempt)"
	done
	return 1
}

# ---- PostgreSQL ----------------------------------------------------------------
#
# Our own throwaway server, not scripts/pg-test-server.sh: that one turns
# fsync and synchronous_commit off for the tests, and the benchmark compares
# durable commits on both backends. Only the port, the socket directory and
# listen_addresses are set; everything else is PostgreSQL's default
# (fsync=on, synchronous_commit=on, full_page_writes=on, max_connections=100)
# unless BENCH_PG_OPTIONS adds settings (for experiments; the report shows them).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# as_pg CMD...: PostgreSQL refuses to run as root; run it as postgres then.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_stop() {
	as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 20 stop >/dev/null 2>&1 \
		|| as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
	pg_up=
}

# pg_start: initdb in $tmp/pg and start the server on a free loopback port;
# sets pg_url (postgresql://hearth@127.0.0.1:PORT/). Says why on failure.
pg_start() {
	local attempt pgport
	if [ ! -x "$pg_bin/initdb" ]; then
		say "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (install postgresql)"
		return 1
	fi
	pg_data=$tmp/pg/data
	mkdir -p "$tmp/pg"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$tmp"	# postgres must reach $tmp/pg
		chown postgres "$tmp/pg"
	fi
	if ! as_pg "$pg_bin/initdb" -D "$pg_data" -U hearth -A trust -E UTF8 --locale=C.UTF-8 \
		>"$tmp/pg-initdb.log" 2>&1; then
		say "initdb failed:"; tail -n 20 "$tmp/pg-initdb.log" | sed 's/^/  /' >&2
		return 1
	fi
	for attempt in 1 2 3; do
		pgport=$(pick_port) || break
		if as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$tmp/pg/server.log" -w -t 30 \
			-o "-p $pgport -k $tmp/pg -c listen_addresses=127.0.0.1 $PG_OPTIONS" start >/dev/null 2>&1; then
			pg_up=1
			pg_url="postgresql://hearth@127.0.0.1:$pgport/"
			return 0
		fi
		say "PostgreSQL did not start on port $pgport (attempt $attempt)"
		as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
	done
	say "PostgreSQL's log:"; tail -n 20 "$tmp/pg/server.log" 2>/dev/null | sed 's/^/  /' >&2
	return 1
}

# pg_settings: the settings that decide what a commit costs, for the report.
pg_settings() {
	psql "$pg_db_url" -Atq -F= -c "SELECT name, setting FROM pg_settings
		WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay')
		ORDER BY name" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# ---- hearth ----------------------------------------------------------------

# start_hearth PORT: `hearth serve` on $hearth_db, logs named after $hearth_tag.
start_hearth() {
	# shellcheck disable=SC2086
	"$HEARTH" serve --db "$hearth_db" --listen "127.0.0.1:$1" $HEARTH_ARGS \
		>"$tmp/hearth-$hearth_tag.out" 2>"$tmp/hearth-$hearth_tag.err" &
	started_pid=$!
}

# serve TAG DBURL: start one `hearth serve`; sets $port and $started_pid.
serve() {
	hearth_tag=$1 hearth_db=$2
	if ! start_on_free_port "hearth ($1)" start_hearth /api/v1/health; then
		say "'$HEARTH serve --db $2' did not start; its stderr:"
		tail -n 20 "$tmp/hearth-$1.err" | sed 's/^/  /' >&2
		return 1
	fi
}

audit_rows_sqlite() {
	sqlite3 -cmd '.timeout 10000' "$tmp/bench.db" 'SELECT count(*) FROM audit_log;' 2>>"$tmp/sqlite.err"
}

audit_rows_pg() {
	psql "$pg_db_url" -Atq -c 'SELECT count(*) FROM audit_log' 2>>"$tmp/psql.err"
}

# demo DBURL: seed the demo partnership.
demo() {
	if ! "$HEARTH" demo --db "$1" >"$tmp/demo.out" 2>&1; then
		say "'$HEARTH demo --db $1' failed:"; sed 's/^/  /' "$tmp/demo.out" | tail -n 20 >&2
		return 1
	fi
}

# sign_in URL: POST /api/v1/session as the demo admin; sets $signed_cookie.
sign_in() {
	local code
	rm -f "$tmp/cookies"
	code=$(curl -s -o "$tmp/login.json" -w '%{http_code}' -c "$tmp/cookies" \
		-H 'Content-Type: application/json' \
		--data "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$1/api/v1/session")
	signed_cookie=$(awk '$6 == "hearth_session" { print $7 }' "$tmp/cookies" 2>/dev/null | tail -n 1)
	if [ "$code" != 200 ] || [ -z "$signed_cookie" ]; then
		say "sign-in as $EMAIL at $1 failed: HTTP $code, hearth_session cookie '${signed_cookie:-none}'"
		head -c 500 "$tmp/login.json" >&2; echo >&2
		return 1
	fi
}

# fetch_me NAME URL COOKIE: GET /api/v1/me once into $tmp/me-NAME.{json,headers}
# (headers also to build/bench/headers-NAME.txt); must answer 200.
fetch_me() {
	local code
	code=$(curl -s -D "$tmp/me-$1.headers" -o "$tmp/me-$1.json" -w '%{http_code}' \
		-H "Cookie: hearth_session=$3" "$2$PATH_ME")
	cp "$tmp/me-$1.headers" "$OUT/headers-$1.txt"
	if [ "$code" != 200 ]; then
		say "$1: GET $PATH_ME with the session answered HTTP $code"; head -c 500 "$tmp/me-$1.json" >&2; echo >&2
		return 1
	fi
}

# as_reference NAME: NAME's answer becomes the one every server must give,
# unless an earlier hearth's already is; then they must be the same bytes.
as_reference() {
	if [ -z "$reference" ]; then
		reference=$1
		cp "$tmp/me-$1.json" "$tmp/me.json"
		cp "$tmp/me-$1.headers" "$tmp/me.headers"
	elif ! cmp -s "$tmp/me-$1.json" "$tmp/me.json"; then
		say "$1 answers $PATH_ME with other bytes than $reference:"
		say "  $reference: $(head -c 300 "$tmp/me.json")"
		say "  $1: $(head -c 300 "$tmp/me-$1.json")"
		return 1
	fi
}

# Fresh demo SQLite database, one server, signed in. Sets url_sqlite, cookie_sqlite.
setup_sqlite() {
	demo "sqlite:$tmp/bench.db" || return 1
	serve sqlite "sqlite:$tmp/bench.db" || return 1
	pid_sqlite=$started_pid url_sqlite="http://127.0.0.1:$port"
	sign_in "$url_sqlite" || return 1
	cookie_sqlite=$signed_cookie
	fetch_me hearth-sqlite "$url_sqlite" "$cookie_sqlite" || return 1
	as_reference hearth-sqlite || return 1
	if ! audit_rows_sqlite >/dev/null; then
		say "cannot count audit_log rows in $tmp/bench.db:"; sed 's/^/  /' "$tmp/sqlite.err" >&2
		return 1
	fi
}

# PostgreSQL server, fresh demo database, two servers on it, signed in on
# the first; the second must accept that session (sessions live in the
# database). Sets pg_db_url, url_pg1, url_pg2, cookie_pg; pg1_ok, pg2_ok.
setup_pg() {
	if ! pg_start; then
		fail "PostgreSQL could not be started: hearth pg x1 and x2 not measured (reason above)"
		return 1
	fi
	if ! psql "${pg_url}postgres" -Atq -c "CREATE DATABASE $PG_DBNAME" >"$tmp/psql-create.out" 2>&1; then
		say "CREATE DATABASE failed:"; sed 's/^/  /' "$tmp/psql-create.out" >&2
		fail "PostgreSQL started but no database could be created: hearth pg not measured"
		return 1
	fi
	pg_db_url="$pg_url$PG_DBNAME"
	if ! { demo "$pg_db_url" && serve pg1 "$pg_db_url"; }; then
		fail "hearth pg x1 and x2 not measured (reason above)"; return 1
	fi
	pid_pg1=$started_pid url_pg1="http://127.0.0.1:$port"
	if ! { sign_in "$url_pg1" && cookie_pg=$signed_cookie &&
	       fetch_me hearth-pg1 "$url_pg1" "$cookie_pg" && as_reference hearth-pg1; }; then
		fail "hearth pg x1 and x2 not measured (reason above)"; return 1
	fi
	if ! audit_rows_pg >/dev/null; then
		say "cannot count audit_log rows in $pg_db_url:"; sed 's/^/  /' "$tmp/psql.err" >&2
		fail "hearth pg x1 and x2 not measured (reason above)"; return 1
	fi
	pg1_ok=1
	if ! { serve pg2 "$pg_db_url" && pid_pg2=$started_pid url_pg2="http://127.0.0.1:$port" &&
	       fetch_me hearth-pg2 "$url_pg2" "$cookie_pg" && as_reference hearth-pg2; }; then
		fail "hearth pg x2 not measured: the second process did not serve the first one's session (reason above)"
		return 1
	fi
	pg2_ok=1
}

# ---- the baselines -----------------------------------------------------------

# Headers of hearth's /me answer that the baselines repeat: all but those
# each server makes itself or that belong to one connection.
extra_headers() {
	tr -d '\r' <"$tmp/me.headers" | awk 'NR > 1 && index($0, ":") > 1' |
		grep -viE '^(date|content-length|connection|keep-alive|transfer-encoding|set-cookie|server):' || true
}

build_bare() {
	say "building $OUT/bare_mhd"
	# shellcheck disable=SC2046
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wvla \
		$(pkg-config --cflags libmicrohttpd) -o "$OUT/bare_mhd" bench/bare_mhd.c \
		$(pkg-config --libs libmicrohttpd) -lpthread
}

start_bare() {
	local args=() h
	while IFS= read -r h; do args+=(-H "$h"); done < <(extra_headers)
	"$OUT/bare_mhd" -p "$1" -t "$WORKERS" "${args[@]}" "$tmp/www$PATH_ME" \
		>"$tmp/bare.out" 2>"$tmp/bare.err" &
	started_pid=$!
}

# nginx.conf for a non-root-or-root, foreground nginx whose every path is
# in $tmp. The file served is $tmp/www/api/v1/me, typed like hearth's answer.
write_nginx_conf() {
	local ctype name value h
	ctype=$(extra_headers | awk -F': *' 'tolower($1) == "content-type" { sub(/^[^:]*: */, ""); print; exit }')
	mkdir -p "$tmp/nginx-tmp"
	{
		echo "daemon off;"
		echo "worker_processes $WORKERS;"
		echo "pid $tmp/nginx.pid;"
		echo "error_log $tmp/nginx-error.log warn;"
		[ "$(id -u)" -ne 0 ] || echo "user $(id -un) $(id -gn);"
		echo "events { worker_connections 4096; }"
		echo "http {"
		echo "  access_log off;"
		for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $tmp/nginx-tmp/$t;"; done
		echo "  types { }"
		echo "  default_type \"${ctype:-application/json}\";"
		echo "  sendfile on;"
		echo "  etag off;"
		echo "  open_file_cache max=16;"
		echo "  keepalive_requests 100000000;"
		echo "  server {"
		echo "    listen 127.0.0.1:@PORT@;"
		echo "    root $tmp/www;"
		echo "    location / {"
		while IFS= read -r h; do
			name=${h%%:*}; value=${h#*:}; value=${value# }
			case "${name,,}" in content-type) continue ;; esac
			if [[ $value == *'$'* ]]; then say "nginx: skipping header $name (contains \$)"; continue; fi
			value=${value//\\/\\\\}; value=${value//\"/\\\"}
			echo "      add_header $name \"$value\";"
		done < <(extra_headers)
		echo "    }"
		echo "  }"
		echo "}"
	} >"$tmp/nginx.conf.in"
}

start_nginx() {
	sed "s/@PORT@/$1/" "$tmp/nginx.conf.in" >"$tmp/nginx.conf"
	nginx -p "$tmp/" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" \
		>"$tmp/nginx.out" 2>&1 &
	started_pid=$!
}

# same_bytes NAME URL: the server answers 200 with exactly hearth's body;
# its headers are kept in build/bench/headers-NAME.txt for comparison.
same_bytes() {
	local code
	code=$(curl -s -D "$OUT/headers-$1.txt" -o "$tmp/check.$1" -w '%{http_code}' \
		-H "Cookie: hearth_session=$cookie" "$2")
	if [ "$code" != 200 ] || ! cmp -s "$tmp/check.$1" "$tmp/me.json"; then
		fail "$1 at $2 does not answer 200 with the body under test (HTTP $code)"
		return 1
	fi
}

# ---- wrk -------------------------------------------------------------------

# to_ms VALUE: wrk latency ("812.00us", "3.51ms", "1.02s") in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0
		else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n }'
}

# wrk_all THREADS CONNS SECONDS COOKIE (OUTFILE URL)...: one wrk per
# OUTFILE URL pair, all started together in the background and waited for,
# so that a signal stops the script at once (wrk itself exits 0 on SIGINT,
# which would otherwise make bash carry on with the next step). Fails if
# any wrk exits non-zero. OUTFILE /dev/null with no --latency: a warm-up.
wrk_all() {
	local t=$1 c=$2 d=$3 ck=$4 rc=0 p lat=--latency
	shift 4
	wrk_pids=()
	while [ $# -ge 2 ]; do
		[ "$1" != /dev/null ] || lat=
		# shellcheck disable=SC2086
		wrk -t"$t" -c"$c" -d"${d}s" $lat -H "Cookie: hearth_session=$ck" "$2" >"$1" 2>&1 &
		wrk_pids+=($!)
		shift 2
	done
	for p in "${wrk_pids[@]}"; do wait "$p" || rc=1; done
	wrk_pids=()
	return "$rc"
}

# wrk_check NAME FILE: the run in FILE was valid; sets f_rps, f_p99, f_reqs.
wrk_check() {
	local non2xx errs
	f_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$2")
	f_p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$2")")
	f_reqs=$(awk '/ requests in / { print $1 }' "$2")
	non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { print $2 + 0 }' "$2")
	errs=$(awk '/Socket errors:/ { print $0 }' "$2")
	[ -z "$non2xx" ] || fail "$1: $non2xx non-2xx responses (see $2)"
	[ -z "$errs" ] || say "warning: $1: $errs"
	[ -n "$f_rps" ] || fail "$1: could not read wrk's output (see $2)"
}

# run_wrk NAME COOKIE AUDITFN URL...: warm up, count audit rows (AUDITFN,
# unless empty), then measure. One URL: one wrk with BENCH_THREADS and
# BENCH_CONNECTIONS. Several URLs: one wrk per URL at once, the threads and
# connections shared out between them; requests/s and requests are summed,
# p99 is the worst of theirs. Sets rps[NAME], p99[NAME], reqs[NAME], and
# audit_before when AUDITFN is given.
run_wrk() {
	local name=$1 ck=$2 auditfn=$3 n t c u i=0 files=() args=() sum_rps=0 sum_reqs=0 worst=0
	shift 3
	n=$#
	t=$((WRK_THREADS / n)); [ "$t" -ge 1 ] || t=1
	c=$((WRK_CONNS / n)); [ "$c" -ge "$t" ] || c=$t
	if [ "$WARMUP" != 0 ]; then
		args=()
		for u in "$@"; do args+=(/dev/null "$u$PATH_ME"); done
		wrk_all "$t" "$c" "$WARMUP" "$ck" "${args[@]}" || true
	fi
	audit_before=
	[ -z "$auditfn" ] || audit_before=$("$auditfn") || audit_before=
	args=()
	for u in "$@"; do
		if [ "$n" = 1 ]; then files+=("$OUT/wrk-$name.txt")
		else i=$((i + 1)); files+=("$OUT/wrk-$name-$i.txt"); fi
		args+=("${files[-1]}" "$u$PATH_ME")
		say "wrk -t$t -c$c -d${DURATION}s --latency $u$PATH_ME ($name)"
	done
	wrk_all "$t" "$c" "$DURATION" "$ck" "${args[@]}" || fail "wrk against $name exited non-zero"
	for u in "${files[@]}"; do
		wrk_check "$name" "$u"
		sum_rps=$((sum_rps + ${f_rps:-0}))
		sum_reqs=$((sum_reqs + ${f_reqs:-0}))
		worst=$(awk -v a="$worst" -v b="${f_p99:-0}" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
	done
	rps[$name]=$sum_rps p99[$name]=$worst reqs[$name]=$sum_reqs
}

# check_audit NAME AUDITFN PID...: after NAME's run, at least one new audit
# row per answered request, and the servers still running.
check_audit() {
	local name=$1 auditfn=$2 after p
	shift 2
	sleep 0.5	# let requests in flight when wrk stopped finish
	after=$("$auditfn") || after=
	if [ -z "$after" ] || [ -z "$audit_before" ]; then
		fail "$name: cannot count audit_log rows (see $tmp/sqlite.err or $tmp/psql.err)"
		return
	fi
	audit[$name]=$((after - audit_before))
	if [ "${audit[$name]}" -le 0 ]; then
		fail "$name wrote no audit_log rows during the run"
	elif [ "${audit[$name]}" -lt "${reqs[$name]:-0}" ]; then
		fail "$name wrote ${audit[$name]} audit rows for ${reqs[$name]} answered requests"
	fi
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null || fail "$name: hearth (pid $p) exited during the run (see its stderr)"
	done
}

# ---- report ------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

row() {
	if [ -n "${rps[$1]:-}" ]; then
		printf '%-15s %12s %10s %12s   [%s]\n' "$2" "${rps[$1]}" "${p99[$1]}" "${reqs[$1]}" \
			"${round_rps[$1]% }"
	else
		printf '%-15s %12s %10s %12s\n' "$2" "not run" "-" "-"
	fi
}

# target NAME LABEL: the foundation's targets for one hearth configuration.
target() {
	local r p
	[ -n "${rps[$1]:-}" ] || { printf 'target:   %-13s not evaluated (not measured)\n' "$2"; return; }
	r=$(ratio "${rps[$1]}" "${rps[bare]}")
	p=${p99[$1]}
	if awk -v r="$r" -v p="$p" 'BEGIN { exit !(r != "-" && r + 0 >= 0.5 && p + 0 < 10) }'; then
		printf 'target:   %-13s met     (%s x bare_mhd >= 0.5, p99 %s ms < 10)\n' "$2" "$r" "$p"
	else
		printf 'target:   %-13s NOT met (%s x bare_mhd, want >= 0.5; p99 %s ms, want < 10)\n' "$2" "$r" "$p"
	fi
}

audit_line() {
	[ -n "${audit[$1]:-}" ] || return 0
	printf 'audit:    %-13s %s audit_log rows for %s requests = %s rows/request\n' \
		"$2" "${audit[$1]}" "${reqs[$1]}" "$(ratio "${audit[$1]}" "${reqs[$1]}")"
}

report() {
	local mhd_ver wrk_ver nginx_ver pg_ver cpu body_len answer fs
	mhd_ver=$(pkg-config --modversion libmicrohttpd)
	nginx_ver=$(nginx -v 2>&1 | sed 's/.*nginx\///')
	wrk_ver=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
	pg_ver=$("$pg_bin/postgres" --version 2>/dev/null | awk '{ print $3 }')
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	fs=$(df -T "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 " on " $1 }')
	body_len=$(wc -c <"$tmp/me.json")
	answer="hearth's own, its headers copied to the baselines"
	[ -n "$reference" ] || answer="a stand-in: no hearth was set up"
	echo "Hearth API benchmark — GET $PATH_ME with a valid session"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "machine:  $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr); databases on ${fs:-?}"
	echo "load avg: $load_before before the run (other work on this host skews every figure)"
	echo "software: nginx $nginx_ver, libmicrohttpd $mhd_ver, wrk $wrk_ver, PostgreSQL ${pg_ver:-?}"
	echo "load:     wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --latency (after ${WARMUP}s warm-up), loopback, same host;"
	echo "          pg x2: two wrk -t$pair_t -c$pair_c at once, one per process: requests/s and requests summed, p99 the worse of the two"
	echo "servers:  nginx $WORKERS workers; bare_mhd $WORKERS pool threads; each hearth serve ${HEARTH_ARGS:-with its defaults (one thread per core, access log to a file)}"
	echo "sqlite:   WAL, synchronous=NORMAL (as hearth sets them: the WAL is synced at checkpoints, not at each commit)"
	echo "postgres: ${pg_conf:-not started} (${PG_OPTIONS:+BENCH_PG_OPTIONS='$PG_OPTIONS', otherwise }server defaults)"
	echo "answer:   $body_len-byte JSON body ($answer)"
	echo
	echo "rounds:   $ROUNDS, each server once a round in the order below; requests/s and p99: the"
	echo "          median of the rounds (each round's in brackets); requests: all rounds"
	echo
	printf '%-15s %12s %10s %12s\n' server "requests/s" "p99 ms" requests
	row nginx nginx
	row bare bare_mhd
	row hearth-sqlite "hearth sqlite"
	row hearth-pg1 "hearth pg x1"
	row hearth-pg2 "hearth pg x2"
	echo
	echo "ratios (requests/s):"
	echo "  hearth sqlite / bare_mhd      $(ratio "${rps[hearth-sqlite]:-}" "${rps[bare]:-}")"
	echo "  hearth pg x1  / bare_mhd      $(ratio "${rps[hearth-pg1]:-}" "${rps[bare]:-}")"
	echo "  hearth pg x2  / bare_mhd      $(ratio "${rps[hearth-pg2]:-}" "${rps[bare]:-}")"
	echo "  hearth pg x1  / hearth sqlite $(ratio "${rps[hearth-pg1]:-}" "${rps[hearth-sqlite]:-}")"
	echo "  hearth pg x2  / hearth pg x1  $(ratio "${rps[hearth-pg2]:-}" "${rps[hearth-pg1]:-}")"
	echo "  hearth sqlite / nginx         $(ratio "${rps[hearth-sqlite]:-}" "${rps[nginx]:-}")"
	echo "  bare_mhd      / nginx         $(ratio "${rps[bare]:-}" "${rps[nginx]:-}")"
	echo
	audit_line hearth-sqlite "hearth sqlite"
	audit_line hearth-pg1 "hearth pg x1"
	audit_line hearth-pg2 "hearth pg x2"
	target hearth-sqlite "hearth sqlite"
	target hearth-pg1 "hearth pg x1"
	target hearth-pg2 "hearth pg x2"
	[ "$failed" = 0 ] || echo "status:   FAILED (see the 'bench: FAIL' lines on stderr)"
	echo "raw wrk output: $OUT/wrk-*.txt (pg x2: wrk-hearth-pg2-1.txt and -2.txt); headers: $OUT/headers-*.txt"
}

# ---- main --------------------------------------------------------------------

declare -A rps=() p99=() reqs=() audit=()
build_bare
reference=
sqlite_ok='' pg1_ok='' pg2_ok='' pg_conf=''
pair_t=$((WRK_THREADS / 2)); [ "$pair_t" -ge 1 ] || pair_t=1
pair_c=$((WRK_CONNS / 2)); [ "$pair_c" -ge "$pair_t" ] || pair_c=$pair_t
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if [ ! -x "$HEARTH" ]; then
	fail "$HEARTH is not built (run 'make hearth' or 'make bench'); measuring the baselines only"
else
	if setup_sqlite; then sqlite_ok=1; else fail "hearth sqlite not measured (reason above)"; fi
	if [ "$WITH_PG" != 0 ]; then
		setup_pg || true	# says what failed
	else
		say "BENCH_PG=0: PostgreSQL rows not run"
	fi
	[ -z "$pg_up" ] || pg_conf=$(pg_settings)
fi
if [ -z "$reference" ]; then
	printf '%s' "$FALLBACK_BODY" >"$tmp/me.json"
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n' >"$tmp/me.headers"
fi
# The cookie the baselines get (same request bytes): any hearth's.
cookie=${cookie_sqlite:-${cookie_pg:-not-signed-in}}
mkdir -p "$tmp/www${PATH_ME%/*}"
cp "$tmp/me.json" "$tmp/www$PATH_ME"

write_nginx_conf
start_on_free_port nginx start_nginx "$PATH_ME" || { say "nginx did not start:"; cat "$tmp/nginx-error.log" "$tmp/nginx.out" >&2 2>/dev/null; exit 1; }
nginx_url="http://127.0.0.1:$port"
start_on_free_port bare_mhd start_bare "$PATH_ME" || { say "bare_mhd did not start:"; cat "$tmp/bare.err" >&2; exit 1; }
bare_url="http://127.0.0.1:$port"
same_bytes nginx "$nginx_url$PATH_ME" || true
same_bytes bare_mhd "$bare_url$PATH_ME" || true

# keep NAME: add this round's figures of NAME to its rounds.
declare -A round_rps=() round_p99=() round_reqs=() round_audit=()
keep() {
	round_rps[$1]+="${rps[$1]} " round_p99[$1]+="${p99[$1]} "
	round_reqs[$1]=$(( ${round_reqs[$1]:-0} + ${reqs[$1]:-0} ))
	[ -z "${audit[$1]:-}" ] || round_audit[$1]=$(( ${round_audit[$1]:-0} + ${audit[$1]} ))
}
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[++n] = $1 } END { if (!n) exit
	if (n % 2) print v[(n + 1) / 2]; else printf "%.2f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'; }

for round in $(seq "$ROUNDS"); do
	say "round $round of $ROUNDS"
	run_wrk nginx "$cookie" '' "$nginx_url"; keep nginx
	run_wrk bare "$cookie" '' "$bare_url"; keep bare
	if [ -n "$sqlite_ok" ]; then
		run_wrk hearth-sqlite "$cookie_sqlite" audit_rows_sqlite "$url_sqlite"
		check_audit hearth-sqlite audit_rows_sqlite "$pid_sqlite"; keep hearth-sqlite
	fi
	if [ -n "$pg1_ok" ]; then
		run_wrk hearth-pg1 "$cookie_pg" audit_rows_pg "$url_pg1"
		check_audit hearth-pg1 audit_rows_pg "$pid_pg1"; keep hearth-pg1
	fi
	if [ -n "$pg2_ok" ]; then
		run_wrk hearth-pg2 "$cookie_pg" audit_rows_pg "$url_pg1" "$url_pg2"
		check_audit hearth-pg2 audit_rows_pg "$pid_pg1" "$pid_pg2"; keep hearth-pg2
	fi
done
# The medians of the rounds; requests and audit rows summed over them.
for name in "${!round_rps[@]}"; do
	rps[$name]=$(median <<<"${round_rps[$name]}")
	rps[$name]=${rps[$name]%.*}
	p99[$name]=$(median <<<"${round_p99[$name]}")
	reqs[$name]=${round_reqs[$name]}
	[ -z "${round_audit[$name]:-}" ] || audit[$name]=${round_audit[$name]}
done

echo
report | tee "$RESULTS"
echo "(written to $RESULTS)"
if [ "${BENCH_STRICT:-0}" = 1 ] && grep -q '^target: .* NOT met' "$RESULTS"; then
	failed=1
fi
exit "$failed"
