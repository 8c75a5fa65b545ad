#!/usr/bin/env bash
# bench/run.sh — `make bench`: GET /api/v1/me against two ceilings.
#
# Starts three servers on free loopback ports, all answering the same bytes
# (the body and headers hearth returns for the demo admin's /api/v1/me):
#   nginx     a static file (the ceiling of this machine)
#   bare_mhd  bench/bare_mhd.c, libmicrohttpd doing nothing (our library's ceiling)
#   hearth    ./hearth serve on a fresh demo SQLite database: session lookup,
#             capability check, audit row in its transaction, JSON
# and drives each in turn with wrk (same request, same Cookie header), then
# prints requests/s, p99 and the ratios, and writes build/bench/results-api.txt.
# See bench/README.md.
#
# Environment:
#   BENCH_SECONDS=10      wrk duration per server
#   BENCH_WARMUP=1        seconds of unrecorded warm-up per server (0: none)
#   BENCH_THREADS=2       wrk threads          BENCH_CONNECTIONS=64  wrk connections
#   BENCH_WORKERS=nproc   nginx worker processes and bare_mhd pool threads
#   BENCH_HEARTH=./hearth the binary to measure
#   BENCH_HEARTH_ARGS=    extra `hearth serve` arguments (e.g. --quiet, --threads 1)
#   BENCH_STRICT=1        exit 1 when a target is missed (default: report only)
#   BENCH_KEEP=1          keep the temporary directory (logs, configs, db)
#
# Exit status: 0 when every run was valid (all 2xx, audit rows written);
# 1 when a run failed or hearth could not be measured (the baselines are
# still measured and reported in that case).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
WRK_THREADS=${BENCH_THREADS:-2}
WRK_CONNS=${BENCH_CONNECTIONS:-64}
WORKERS=${BENCH_WORKERS:-$(nproc)}
HEARTH=${BENCH_HEARTH:-./hearth}
HEARTH_ARGS=${BENCH_HEARTH_ARGS:-}
OUT=build/bench
RESULTS=$OUT/results-api.txt
PATH_ME=/api/v1/me
EMAIL=admin@hearth.example
PASSWORD=hearth-demo-password
# Used for the baselines only when hearth cannot be measured.
FALLBACK_BODY='{"user":{"id":1,"email":"admin@hearth.example","name":"Demo Admin","role":"admin","school":null}}'

for tool in wrk nginx curl sqlite3 gcc pkg-config; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (scripts/deps.sh bench installs it)" >&2; exit 1; }
done

mkdir -p "$OUT"
rm -f "$OUT"/headers-*.txt "$OUT"/wrk-*.txt "$RESULTS"	# no stale figures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench.XXXXXX")
pids=()		# servers we started and have not reaped
wrk_pid=	# the wrk running now
failed=0

# running PID: our child PID has not exited (a zombie has: it is ours until
# reaped, so its pid cannot have been reused).
running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# Stop what we started: TERM, up to 5 s to exit, then KILL.
cleanup() {
	local p tries=50 left
	[ -z "$wrk_pid" ] || kill -TERM "$wrk_pid" 2>/dev/null || true
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
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
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

# ---- hearth ----------------------------------------------------------------

start_hearth() {
	# shellcheck disable=SC2086
	"$HEARTH" serve --db "sqlite:$tmp/bench.db" --listen "127.0.0.1:$1" $HEARTH_ARGS \
		>"$tmp/hearth.out" 2>"$tmp/hearth.err" &
	started_pid=$!
}

audit_rows() {
	sqlite3 -cmd '.timeout 10000' "$tmp/bench.db" 'SELECT count(*) FROM audit_log;' 2>>"$tmp/sqlite.err"
}

# Seed the demo, serve, sign in, fetch /api/v1/me once. Sets hearth_url,
# cookie, and writes $tmp/me.json (body) and $tmp/me.headers. Fails with a
# message saying what is missing.
setup_hearth() {
	local code
	if [ ! -x "$HEARTH" ]; then
		say "$HEARTH is not built (run 'make hearth' or 'make bench'); measuring the baselines only"
		return 1
	fi
	if ! "$HEARTH" demo --db "sqlite:$tmp/bench.db" >"$tmp/demo.out" 2>&1; then
		say "'$HEARTH demo' failed:"; sed 's/^/  /' "$tmp/demo.out" | tail -n 20 >&2
		return 1
	fi
	if ! start_on_free_port hearth start_hearth /api/v1/health; then
		say "'$HEARTH serve' did not start; its stderr:"; tail -n 20 "$tmp/hearth.err" | sed 's/^/  /' >&2
		return 1
	fi
	hearth_pid=$started_pid
	hearth_url="http://127.0.0.1:$port"
	code=$(curl -s -o "$tmp/login.json" -w '%{http_code}' -c "$tmp/cookies" \
		-H 'Content-Type: application/json' \
		--data "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$hearth_url/api/v1/session")
	cookie=$(awk '$6 == "hearth_session" { print $7 }' "$tmp/cookies" 2>/dev/null | tail -n 1)
	if [ "$code" != 200 ] || [ -z "$cookie" ]; then
		say "sign-in as $EMAIL failed: HTTP $code, hearth_session cookie '${cookie:-none}'"
		head -c 500 "$tmp/login.json" >&2; echo >&2
		return 1
	fi
	code=$(curl -s -D "$tmp/me.headers" -o "$tmp/me.json" -w '%{http_code}' \
		-H "Cookie: hearth_session=$cookie" "$hearth_url$PATH_ME")
	cp "$tmp/me.headers" "$OUT/headers-hearth.txt"
	if [ "$code" != 200 ]; then
		say "GET $PATH_ME with the session answered HTTP $code"; head -c 500 "$tmp/me.json" >&2; echo >&2
		return 1
	fi
	if ! audit_rows >/dev/null; then
		say "cannot count audit_log rows in $tmp/bench.db:"; sed 's/^/  /' "$tmp/sqlite.err" >&2
		return 1
	fi
	return 0
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

# wrk_bg OUTFILE ARGS...: wrk in the background, waited for, so that a
# signal stops the script at once (wrk itself exits 0 on SIGINT, which
# would otherwise make bash carry on with the next step).
wrk_bg() {
	local out=$1 rc=0
	shift
	wrk "$@" >"$out" 2>&1 &
	wrk_pid=$!
	wait "$wrk_pid" || rc=$?
	wrk_pid=
	return "$rc"
}

# run_wrk NAME URL: warm up, then measure; sets w_rps, w_p99 (ms) and
# w_reqs. Non-2xx answers fail the run; socket errors are reported.
run_wrk() {
	local name=$1 url=$2 f=$OUT/wrk-$1.txt non2xx errs
	if [ "$WARMUP" != 0 ]; then
		wrk_bg /dev/null -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WARMUP}s" \
			-H "Cookie: hearth_session=$cookie" "$url" || true
	fi
	[ "$name" != hearth ] || audit_before=$(audit_rows)
	say "wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --latency $url ($name)"
	wrk_bg "$f" -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${DURATION}s" --latency \
		-H "Cookie: hearth_session=$cookie" "$url" || fail "wrk against $name exited non-zero"
	w_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
	w_p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
	w_reqs=$(awk '/ requests in / { print $1 }' "$f")
	non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { print $2 + 0 }' "$f")
	errs=$(awk '/Socket errors:/ { print $0 }' "$f")
	[ -z "$non2xx" ] || fail "$name: $non2xx non-2xx responses (see $f)"
	[ -z "$errs" ] || say "warning: $name: $errs"
	[ -n "$w_rps" ] || fail "$name: could not read wrk's output (see $f)"
}

# ---- report ------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

report() {
	local mhd_ver wrk_ver nginx_ver cpu body_len answer
	mhd_ver=$(pkg-config --modversion libmicrohttpd)
	nginx_ver=$(nginx -v 2>&1 | sed 's/.*nginx\///')
	wrk_ver=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	body_len=$(wc -c <"$tmp/me.json")
	answer="hearth's own, its headers copied to the baselines"
	[ -n "$hearth_ok" ] || answer="a stand-in: hearth was not measured"
	echo "Hearth API benchmark — GET $PATH_ME with a valid session"
	echo "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "machine:  $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
	echo "load avg: $load_before before the run (other work on this host skews every figure)"
	echo "software: nginx $nginx_ver, libmicrohttpd $mhd_ver, wrk $wrk_ver"
	echo "load:     wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --latency (after ${WARMUP}s warm-up), loopback, same host"
	echo "servers:  nginx $WORKERS workers; bare_mhd $WORKERS pool threads; hearth serve ${HEARTH_ARGS:-(defaults: a thread per core, access log to a file)}"
	echo "answer:   $body_len-byte JSON body ($answer)"
	echo
	printf '%-10s %12s %10s %12s\n' server "requests/s" "p99 ms" requests
	printf '%-10s %12s %10s %12s\n' nginx "$rps_nginx" "$p99_nginx" "$reqs_nginx"
	printf '%-10s %12s %10s %12s\n' bare_mhd "$rps_bare" "$p99_bare" "$reqs_bare"
	if [ -n "$hearth_ok" ]; then
		printf '%-10s %12s %10s %12s\n' hearth "$rps_hearth" "$p99_hearth" "$reqs_hearth"
	else
		printf '%-10s %12s %10s %12s\n' hearth "not run" "-" "-"
	fi
	echo
	echo "ratios (requests/s):"
	echo "  hearth/bare_mhd  $r_hb"
	echo "  hearth/nginx     $r_hn"
	echo "  bare_mhd/nginx   $r_bn"
	echo
	if [ -n "$hearth_ok" ]; then
		echo "audit:    $audit_delta audit_log rows for $reqs_hearth requests = $(ratio "$audit_delta" "$reqs_hearth") rows/request"
		echo "target:   hearth >= 0.5 x bare_mhd requests/s: $target_rps ($r_hb)"
		echo "target:   hearth p99 < 10 ms:                  $target_p99 ($p99_hearth ms)"
	else
		echo "target:   not evaluated (hearth not measured)"
	fi
	[ "$failed" = 0 ] || echo "status:   FAILED (see the 'bench: FAIL' lines on stderr)"
	echo "raw wrk output: $OUT/wrk-{nginx,bare,hearth}.txt; headers: $OUT/headers-*.txt"
}

# ---- main --------------------------------------------------------------------

build_bare
hearth_ok=
cookie=not-signed-in
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if setup_hearth; then
	hearth_ok=1
else
	fail "hearth not measured (reason above)"
	printf '%s' "$FALLBACK_BODY" >"$tmp/me.json"
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n' >"$tmp/me.headers"
fi
mkdir -p "$tmp/www${PATH_ME%/*}"
cp "$tmp/me.json" "$tmp/www$PATH_ME"

write_nginx_conf
start_on_free_port nginx start_nginx "$PATH_ME" || { say "nginx did not start:"; cat "$tmp/nginx-error.log" "$tmp/nginx.out" >&2 2>/dev/null; exit 1; }
nginx_url="http://127.0.0.1:$port$PATH_ME"
start_on_free_port bare_mhd start_bare "$PATH_ME" || { say "bare_mhd did not start:"; cat "$tmp/bare.err" >&2; exit 1; }
bare_url="http://127.0.0.1:$port$PATH_ME"
same_bytes nginx "$nginx_url" || true
same_bytes bare_mhd "$bare_url" || true

run_wrk nginx "$nginx_url"
rps_nginx=$w_rps p99_nginx=$w_p99 reqs_nginx=$w_reqs
run_wrk bare "$bare_url"
rps_bare=$w_rps p99_bare=$w_p99 reqs_bare=$w_reqs
rps_hearth='' p99_hearth='' reqs_hearth=''
if [ -n "$hearth_ok" ]; then
	run_wrk hearth "$hearth_url$PATH_ME"
	rps_hearth=$w_rps p99_hearth=$w_p99 reqs_hearth=$w_reqs
	sleep 0.5	# let requests in flight when wrk stopped finish
	audit_after=$(audit_rows)
	audit_delta=$((audit_after - audit_before))
	if [ "$audit_delta" -le 0 ]; then
		fail "hearth wrote no audit_log rows during the run"
	elif [ -n "$reqs_hearth" ] && [ "$audit_delta" -lt "$reqs_hearth" ]; then
		fail "hearth wrote $audit_delta audit rows for $reqs_hearth answered requests"
	fi
	kill -0 "$hearth_pid" 2>/dev/null || fail "hearth exited during the run (see its stderr)"
fi

r_hb=$(ratio "${rps_hearth:-}" "$rps_bare")
r_hn=$(ratio "${rps_hearth:-}" "$rps_nginx")
r_bn=$(ratio "$rps_bare" "$rps_nginx")
target_rps=$(awk -v r="$r_hb" 'BEGIN { print (r != "-" && r + 0 >= 0.5) ? "met" : "NOT met" }')
target_p99=$(awk -v p="${p99_hearth:-}" 'BEGIN { print (p != "" && p + 0 < 10) ? "met" : "NOT met" }')
echo
report | tee "$RESULTS"
echo "(written to $RESULTS)"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ -n "$hearth_ok" ] \
   && { [ "$target_rps" != met ] || [ "$target_p99" != met ]; }; then
	failed=1
fi
exit "$failed"
