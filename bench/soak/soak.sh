#!/usr/bin/env bash
# bench/soak/soak.sh — `make soak`: ten minutes of mixed signed-in reads and
# writes from 64 connections; no error answers, memory flat.
#
# 1. a fresh demo database (SQLite; SOAK_DB=pg: a throwaway PostgreSQL from
#    scripts/pg-test-server.sh; SOAK_DB=postgresql://USER@HOST:PORT/: a new
#    database on that server, dropped afterwards) and one `hearth serve` on a
#    free loopback port;
# 2. bench/soak/prepare.py signs in, for each wrk thread, the demo worker,
#    school user, coordinator and viewer, and tries each kind of read and
#    write once to pick cases and pupils the writes must succeed on;
# 3. wrk (SOAK_THREADS threads, SOAK_CONNECTIONS connections, SOAK_SECONDS)
#    runs bench/soak/mixed.lua: home pages, caseload, case and pupil pages
#    and their JSON, report JSON, health, /me, an asset; contacts, plan
#    actions and referrals with varied data (~14% writes).  Meanwhile the
#    server's VmRSS, open files and threads are sampled every SOAK_SAMPLE
#    seconds to build/bench/soak-rss.csv;
# 4. afterwards: the server must still answer (health, a new sign-in, /me);
#    every write answered 201 must be in the database (rows carrying the
#    soak's marker >= 201 answers); the server stops on SIGTERM; `hearth
#    audit verify` must accept the chain.
#
# With SOAK_HEAP=1 (needs gdb) the live heap is sampled too, every
# SOAK_HEAP_EVERY (60) seconds, by attaching gdb for a moment (it pauses
# the server, so latencies suffer a little): SQLite's own memory
# (sqlite3_memory_used), glibc's in use, free-but-kept and arena totals
# (mallinfo2), to soak-heap.csv.  "Outside SQLite" (in use minus SQLite) is
# Hearth's own live heap: flat there means no leak, whatever the RSS does.
#
# Fails (exit 1) if any answer was not 2xx/3xx, any socket error or timeout
# happened, memory was not flat, or a check after the run failed.  "Flat":
# the anonymous RSS over the last minute of the load (its median) is at
# most SOAK_FLAT (1.10) times that over the minute after the warm-up
# (from SOAK_WARMUP seconds: 120,
# the end of the second minute, or half the run if that is shorter: 16
# threads each fill their own SQLite page cache, 2 MB, and the allocator
# its arenas, before the RSS levels off).  The report gives the growth
# from there to the end in MB and the trend (least-squares slope, MB a
# minute) over the same samples.
#
# Environment: SOAK_SECONDS (600), SOAK_CONNECTIONS (64), SOAK_THREADS (wrk
# threads, 4), SOAK_TIMEOUT (wrk's per-request
# timeout, 60 s: wrk leaves slower answers out of its latencies and counts
# them as timeouts), SOAK_SAMPLE (5),
# SOAK_WARMUP, SOAK_FLAT, SOAK_DB, SOAK_HEARTH (./hearth), SOAK_HEARTH_ARGS
# (extra `hearth serve` arguments), SOAK_KEEP=1 (keep the temporary
# directory: database, access log, server output), SOAK_OUT (build/bench),
# SOAK_HEAP, SOAK_HEAP_EVERY.
# Writes SOAK_OUT/results-soak.txt, soak-rss.csv (RSS split into anonymous
# memory and mapped files: the database is mapped, mmap_size), soak-heap.csv
# (SOAK_HEAP=1), wrk-soak.txt,
# soak-routes.txt (per-route figures from the server's access log).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${SOAK_SECONDS:-600}
CONNS=${SOAK_CONNECTIONS:-64}
THREADS=${SOAK_THREADS:-4}
TIMEOUT=${SOAK_TIMEOUT:-60}
SAMPLE=${SOAK_SAMPLE:-5}
WARMUP=${SOAK_WARMUP:-$(( DURATION / 2 < 120 ? DURATION / 2 : 120 ))}
FLAT=${SOAK_FLAT:-1.10}
HEARTH=${SOAK_HEARTH:-./hearth}
HEARTH_ARGS=${SOAK_HEARTH_ARGS:-}
DB=${SOAK_DB:-sqlite}
OUT=${SOAK_OUT:-build/bench}
RESULTS=$OUT/results-soak.txt
CSV=$OUT/soak-rss.csv
HEAPCSV=$OUT/soak-heap.csv
HEAP=${SOAK_HEAP:-0}
HEAP_EVERY=${SOAK_HEAP_EVERY:-60}
WRKOUT=$OUT/wrk-soak.txt
ROUTES=$OUT/soak-routes.txt

say() { echo "soak: $*" >&2; }
for tool in wrk curl python3; do
	command -v "$tool" >/dev/null || { say "'$tool' is missing (scripts/deps.sh bench installs wrk)"; exit 1; }
done
case $DB in
sqlite) command -v sqlite3 >/dev/null || { say "'sqlite3' is missing"; exit 1; } ;;
*) command -v psql >/dev/null || { say "'psql' is missing"; exit 1; } ;;
esac
[ -x "$HEARTH" ] || { say "$HEARTH not found (make hearth)"; exit 1; }

mkdir -p "$OUT"
rm -f "$RESULTS" "$CSV" "$HEAPCSV" "$WRKOUT" "$ROUTES"
if [ "$HEAP" = 1 ] && ! command -v gdb >/dev/null; then
	say "SOAK_HEAP=1 needs gdb; heap not sampled"; HEAP=0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-soak.XXXXXX")
server_pid='' sampler_pid='' heap_pid='' wrk_pid='' pg_dir='' pg_server='' pg_dbname=''
failures=()

cleanup() {
	local p
	for p in $wrk_pid $sampler_pid $heap_pid; do kill -TERM "$p" 2>/dev/null || true; done
	if [ -n "$server_pid" ]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	for p in $wrk_pid $sampler_pid $heap_pid $server_pid; do wait "$p" 2>/dev/null || true; done
	if [ -n "$pg_server" ] && [ -n "$pg_dbname" ]; then
		psql -q "${pg_server}postgres" -c "DROP DATABASE IF EXISTS $pg_dbname WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	[ -z "$pg_dir" ] || scripts/pg-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true
	if [ "${SOAK_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { say "FAIL: $*"; failures+=("$*"); }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sql QUERY: one value from the soak's database, outside Hearth.
sql() {
	if [ "$DB" = sqlite ]; then sqlite3 -cmd '.timeout 10000' "$tmp/soak.db" "$1"
	else psql -Atq "$db_url" -c "$1"; fi
}

# ---- the database ---------------------------------------------------------------

case $DB in
sqlite)
	db_url="sqlite:$tmp/soak.db"; backend=sqlite ;;
pg)
	pg_dir=$tmp/pg
	[ "$(id -u)" -ne 0 ] || chmod 711 "$tmp"	# the postgres user must reach $tmp/pg
	scripts/pg-test-server.sh start "$pg_dir" || { say "PostgreSQL did not start"; exit 1; }
	pg_server=$(cat "$pg_dir/url"); pg_dbname=hearth_soak
	backend="postgresql (throwaway, scripts/pg-test-server.sh: fsync off)" ;;
postgresql://*)
	pg_server=${DB%/}/; pg_dbname=hearth_soak_$$
	backend="postgresql ($pg_server)" ;;
*) say "SOAK_DB must be unset (SQLite), 'pg' or postgresql://USER@HOST:PORT/"; exit 1 ;;
esac
if [ -n "$pg_server" ]; then
	psql -q "${pg_server}postgres" -c "CREATE DATABASE $pg_dbname" >/dev/null
	db_url="$pg_server$pg_dbname"
fi
say "seeding the demo ($db_url)"
if ! "$HEARTH" demo --db "$db_url" >"$tmp/demo.out" 2>&1; then
	say "'$HEARTH demo' failed:"; tail -n 20 "$tmp/demo.out" >&2; exit 1
fi

# ---- the server -----------------------------------------------------------------

for attempt in 1 2 3; do
	port=$(free_port)
	# SQLite counts its memory only when asked (its counters take a
	# process-wide lock on every allocation): the heap samples need it.
	# shellcheck disable=SC2086
	HEARTH_SQLITE_MEMSTATUS=$HEAP \
	"$HEARTH" serve --db "$db_url" --listen "127.0.0.1:$port" $HEARTH_ARGS \
		>"$tmp/serve.out" 2>"$tmp/access.log" &
	server_pid=$!
	for _ in $(seq 150); do
		grep -q listening "$tmp/serve.out" 2>/dev/null && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q listening "$tmp/serve.out" && break
	say "hearth serve did not start on port $port (attempt $attempt)"; tail -n 5 "$tmp/access.log" >&2
	kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
	server_pid=
done
[ -n "$server_pid" ] || exit 1
base=http://127.0.0.1:$port

python3 bench/soak/prepare.py "$port" "$THREADS" "$tmp/data.lua" || exit 1

# ---- memory sampler ---------------------------------------------------------------

# One line per SAMPLE seconds: seconds since the load began (negative
# before), phase, VmRSS and VmHWM in KiB, open files, threads, the CPU
# seconds the server has used so far (user + system), and the RSS split
# into anonymous memory (heap, stacks) and mapped files (the binary, the
# database pages read through mmap) in KiB.
sample() {
	local t0=$1 hz now st stat rss hwm thr fds cpu phase anon file
	hz=$(getconf CLK_TCK)
	echo "seconds,phase,rss_kb,hwm_kb,fds,threads,cpu_s,anon_kb,file_kb"
	while [ -d "/proc/$server_pid" ]; do
		now=${EPOCHREALTIME}
		st=$(cat "/proc/$server_pid/status" 2>/dev/null) || break
		stat=$(sed 's/.*) //' "/proc/$server_pid/stat" 2>/dev/null) || break
		rss=$(awk '/^VmRSS:/ {print $2}' <<<"$st")
		[ -n "$rss" ] || break		# exited (a zombie has no memory)
		hwm=$(awk '/^VmHWM:/ {print $2}' <<<"$st")
		thr=$(awk '/^Threads:/ {print $2}' <<<"$st")
		cpu=$(awk -v hz="$hz" '{printf "%.2f", ($12 + $13) / hz}' <<<"$stat")
		fds=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
		anon=$(awk '/^RssAnon:/ {print $2}' <<<"$st")
		file=$(awk '/^RssFile:/ {print $2}' <<<"$st")
		phase=load
		[ -e "$tmp/load-done" ] && phase=after
		[ -e "$tmp/load-started" ] || phase=before
		awk -v n="$now" -v t="$t0" -v p="$phase" -v r="$rss" -v h="$hwm" -v f="$fds" -v th="$thr" -v c="$cpu" \
			-v a="$anon" -v fi="$file" \
			'BEGIN { printf "%.1f,%s,%s,%s,%s,%s,%s,%s,%s\n", n - t, p, r, h, f, th, c, a, fi }'
		sleep "$SAMPLE"
	done
}

# SOAK_HEAP=1: one line per HEAP_EVERY seconds from gdb attached to the
# server: seconds, VmRSS, SQLite's memory, glibc's bytes in use (heap
# chunks and mmapped blocks), free bytes kept, and bytes taken from the
# system (mallinfo2 arena + hblkhd; all in bytes but the RSS).
heap_sample() {
	local t0=$1 now out rss
	echo "seconds,rss_kb,sqlite_used,malloc_inuse,malloc_free,malloc_arena,arena_held"
	while [ -d "/proc/$server_pid" ] && [ ! -e "$tmp/load-done" ]; do
		now=${EPOCHREALTIME}
		out=$(timeout 60 gdb -p "$server_pid" -batch -nx \
			-ex 'p (long long)sqlite3_memory_used()' -ex 'p mallinfo2()' \
			-ex 'p (long long)arena_held()' 2>/dev/null) || true
		rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null)
		awk -v n="$now" -v t="$t0" -v r="$rss" '
			/^\$1 = / { s = $3 }
			/^\$2 = / { for (i = 1; i <= NF; i++) { k = $i; v = $(i + 2); sub(/^\{/, "", k); sub(/[,}]$/, "", v)
				if (k == "arena") ar = v; if (k == "hblkhd") m = v
				if (k == "uordblks") u = v; if (k == "fordblks") f = v } }
			/^\$3 = / { h = $3 }
			END { if (s != "" && u != "") printf "%.1f,%s,%s,%s,%s,%s,%s\n", n - t, r, s, u + m, f, ar + m, h }' <<<"$out"
		sleep "$HEAP_EVERY"
	done
}
load_t0=$(awk -v n="${EPOCHREALTIME}" 'BEGIN { printf "%.3f", n + 1 }')
: >"$CSV"   # exists before the sampler's first line, for the wait below
sample "$load_t0" >"$CSV" &
sampler_pid=$!
if [ "$HEAP" = 1 ]; then
	heap_sample "$load_t0" >"$HEAPCSV" &
	heap_pid=$!
fi
# The first sample is the "start" figure, before any load: wait for it (a
# busy machine can take seconds over one sample).
for _ in $(seq 300); do [ "$(wc -l <"$CSV" 2>/dev/null || echo 0)" -ge 2 ] && break; sleep 0.1; done

# ---- the load ---------------------------------------------------------------------

read -r load_before _ </proc/loadavg
say "wrk -t$THREADS -c$CONNS -d${DURATION}s against $base (backend $backend)"
touch "$tmp/load-started"
SOAK_DATA=$tmp/data.lua wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "${TIMEOUT}s" --latency \
	-s bench/soak/mixed.lua "$base" >"$WRKOUT" 2>&1 &
wrk_pid=$!
wrk_rc=0; wait "$wrk_pid" || wrk_rc=$?
wrk_pid=
touch "$tmp/load-done"
read -r load_after _ </proc/loadavg
[ "$wrk_rc" = 0 ] || fail "wrk exited with status $wrk_rc"
# One sample after the load (waited for, up to 60 s).
for _ in $(seq 600); do grep -q ',after,' "$CSV" && break; sleep 0.1; done
kill -TERM "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
if [ -n "$heap_pid" ]; then
	kill -TERM "$heap_pid" 2>/dev/null || true; wait "$heap_pid" 2>/dev/null || true
	heap_pid=
fi

# ---- checks after the run --------------------------------------------------------------

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }
health=$(code "$base/api/v1/health")
[ "$health" = 200 ] || fail "after the run GET /api/v1/health answered '$health'"
cookie=$(curl -s -D - -o /dev/null --max-time 10 -H 'Content-Type: application/json' \
	-d '{"email":"worker@hearth.example","password":"hearth-demo-password"}' "$base/api/v1/session" \
	| sed -n 's/^[Ss]et-[Cc]ookie: \(hearth_session=[^;]*\).*/\1/p' | tr -d '\r')
me=$(code -H "Cookie: $cookie" "$base/api/v1/me")
[ -n "$cookie" ] && [ "$me" = 200 ] || fail "after the run a new sign-in and /api/v1/me did not work ($me)"

acked=$(awk '$1 == "SOAK" && $2 == "status" && $3 == 201 {print $4}' "$WRKOUT"); acked=${acked:-0}
rows=$(sql "SELECT (SELECT count(*) FROM contacts WHERE notes LIKE 'soak-w-%')
	+ (SELECT count(*) FROM plan_actions WHERE description LIKE 'soak-w-%')
	+ (SELECT count(*) FROM referrals WHERE reason LIKE 'soak-w-%')" 2>&1) || rows="?"
if ! [ "$rows" -ge "$acked" ] 2>/dev/null; then
	fail "writes answered 201: $acked, rows with the soak's marker in the database: $rows"
fi
audit_rows=$(sql "SELECT count(*) FROM audit_log" 2>/dev/null || echo "?")

kill -TERM "$server_pid"
stop_rc=0; wait "$server_pid" || stop_rc=$?
server_pid=
[ "$stop_rc" = 0 ] || fail "hearth serve exited with status $stop_rc on SIGTERM"
if "$HEARTH" audit verify --db "$db_url" >"$tmp/verify.out" 2>&1; then
	verify="ok ($(tr '\n' ' ' <"$tmp/verify.out" | sed 's/ *$//'))"
else
	verify="FAILED: $(tr '\n' ' ' <"$tmp/verify.out")"
	fail "hearth audit verify: $(cat "$tmp/verify.out")"
fi

# ---- figures ------------------------------------------------------------------------

w() { awk -v k="$1" '$1 == "SOAK" && $2 == k {print $3}' "$WRKOUT"; }
requests=$(w requests); rps=$(w rps)
if [ -z "$requests" ]; then
	fail "wrk printed no figures (see $WRKOUT)"; requests=0; rps=0
fi
errors=$(awk '$1 == "SOAK" && $2 == "status" && ($3 < 200 || $3 >= 400) {n += $4} END {print n + 0}' "$WRKOUT")
sock=$(awk '$1 == "SOAK" && $2 == "socket_errors" {
	for (i = 3; i <= NF; i++) { split($i, kv, "="); n += kv[2] } } END {print n + 0}' "$WRKOUT")
[ "$errors" = 0 ] || fail "$errors answers were not 2xx/3xx"
[ "$sock" = 0 ] || fail "$sock socket errors or timeouts ($(grep 'socket_errors' "$WRKOUT" | cut -d' ' -f3-))"
mix=$(awk '$1 == "SOAK" && $2 == "sent" { t += $3; if ($4 == "write") w += $3 }
	END { if (t) printf "%.0f%% reads, %.0f%% writes", 100 * (t - w) / t, 100 * w / t }' "$WRKOUT")
by_status=$(awk '$1 == "SOAK" && $2 == "status" {printf "%s%s: %s", s, $3, $4; s = ", "}' "$WRKOUT")

# RSS: start = the last sample before the load; warm = the first at or after
# WARMUP s; end = the last during the load (warm, half and end are the
# anonymous part, RssAnon: the heap; SQLite reads the database through
# mmap, and those file pages are the kernel's page cache, not a leak);
# peak over everything (VmRSS).
read -r rss_start rss_warm rss_half rss_end rss_peak rss_after fds_start fds_end thr_end cpu_load < <(awk -F, -v w="$WARMUP" -v hf="$((DURATION / 2))" '
	NR == 1 { next }
	$2 == "before" { s = $3; fs = $5; c0 = $7 }
	$2 == "load" && $1 >= w && wm == "" { wm = $8 }
	$2 == "load" && $1 >= hf && h == "" { h = $8 }
	$2 == "load" { e = $8; fe = $5; te = $6; c1 = $7 }
	$2 == "after" { a = $3 }
	$3 > pk { pk = $3 }
	function q(x) { return x == "" ? "?" : x }
	END { print q(s), q(wm), q(h), q(e), pk + 0, q(a), q(fs), q(fe), q(te), (c0 == "" || c1 == "" ? "?" : c1 - c0) }' "$CSV")
# The figures judged are medians over a window (WINDOW s: a minute, or less
# in a short run) rather than single samples: the anonymous RSS moves up
# and down by 10-15 % from one 5-second sample to the next with the answers
# in flight (64 connections, pages up to ~100 KB), so a single sample made
# the verdict a coin toss.  warm = the median of the samples in
# [WARMUP, WARMUP + WINDOW); end = the median of the last WINDOW s of the
# load.  A leak moves both medians' difference; noise does not.
WINDOW=$(( (DURATION - WARMUP) / 2 < 60 ? (DURATION - WARMUP) / 2 : 60 ))
[ "$WINDOW" -ge 5 ] || WINDOW=5
read -r rss_warm rss_end < <(awk -F, -v w="$WARMUP" -v win="$WINDOW" '
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
		return n ? (n % 2 ? a[(n + 1) / 2] : int((a[n / 2] + a[n / 2 + 1]) / 2)) : "?" }
	$2 == "load" && $8 != "" { n++; t[n] = $1; v[n] = $8; last = $1 }
	END {
		for (i = 1; i <= n; i++) {
			if (t[i] >= w && t[i] < w + win) wa[++nw] = v[i]
			if (t[i] > last - win) ea[++ne] = v[i]
		}
		print med(wa, nw), med(ea, ne) }' "$CSV")
mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k / 1024; else print "?" }'; }
# The trend after the warm-up: least-squares slope of anonymous RSS over the load
# samples at or after WARMUP s, in MB a minute.
slope=$(awk -F, -v w="$WARMUP" '$2 == "load" && $1 >= w && $8 != "" { n++; x = $1 / 60; y = $8 / 1024
	sx += x; sy += y; sxx += x * x; sxy += x * y }
	END { d = n * sxx - sx * sx; if (n >= 3 && d > 0) printf "%+.2f", (n * sxy - sx * sy) / d; else print "?" }' "$CSV")
if [ "$rss_warm" = "?" ] || [ "$rss_end" = "?" ]; then
	flat="unknown (too few samples)"; fail "memory: too few RSS samples"
else
	growth=$(awk -v e="$rss_end" -v w="$rss_warm" 'BEGIN { printf "%+.1f MB (%+.1f%%)", (e - w) / 1024, 100 * (e - w) / w }')
	how="anonymous RSS, median of a ${WINDOW}-s window: $(mb "$rss_warm") MB from ${WARMUP} s -> $(mb "$rss_end") MB at the end: $growth, trend $slope MB/min; limit ${FLAT}x"
	if awk -v e="$rss_end" -v w="$rss_warm" -v f="$FLAT" 'BEGIN { exit !(e <= f * w) }'; then
		flat="yes ($how)"
	else
		flat="NO ($how)"
		fail "memory not flat: $flat"
	fi
fi

# The RSS split at the warm-up sample and at the end of the load.
split=$(awk -F, -v w="$WARMUP" '
	$2 == "load" && $1 >= w && wa == "" && $8 != "" { wa = $8; wf = $9 }
	$2 == "load" && $8 != "" { ea = $8; ef = $9 }
	END { if (wa != "" && ea != "") printf "anonymous %.1f -> %.1f MB, mapped files %.1f -> %.1f MB", wa / 1024, ea / 1024, wf / 1024, ef / 1024 }' "$CSV")
# SOAK_HEAP=1: the live heap outside SQLite from the first heap sample at or
# after the warm-up to the last one.
heap="not sampled (SOAK_HEAP=1 samples it with gdb)"
if [ -s "$HEAPCSV" ] && [ "$(wc -l <"$HEAPCSV")" -ge 3 ]; then
	heap=$(awk -F, -v w="$WARMUP" 'NR == 1 { next }
		{ n++; o = ($4 - $3) / 1048576; if (n == 1 || o < lo) lo = o; if (o > hi) hi = o }
		$1 >= w && fo == "" { fo = o; fs = $3 / 1048576; ff = $5 / 1048576; ft = $1 }
		{ lo_ = o; ls = $3 / 1048576; lf = $5 / 1048576; lt = $1 }
		END { if (fo == "") { fo = lo_; fs = ls; ff = lf; ft = lt }
		printf "outside SQLite %.1f MB at %d s -> %.1f MB at %d s (range %.1f-%.1f over %d samples); SQLite %.1f -> %.1f MB; free kept by malloc %.1f -> %.1f MB",
			fo, ft, lo_, lt, lo, hi, n, fs, ls, ff, lf }' "$HEAPCSV")
fi

# Per route, from the server's own access log: count, errors, p50/p99 ms.
python3 - "$tmp/access.log" >"$ROUTES" <<'PY' || true
import re, sys
rows = {}
pat = [(re.compile(r"/C-\d+"), "/{case}"), (re.compile(r"/pupils/[A-Z0-9]+"), "/pupils/{upn}")]
for line in open(sys.argv[1], errors="replace"):
    f = line.split()
    if len(f) < 7 or not f[6].endswith("ms"):
        continue
    path = f[3].split("?")[0]
    for p, r in pat:
        path = p.sub(r, path)
    k = f"{f[2]} {path}"
    if path == "/" and len(f) > 7:
        k += f" ({f[7].split('@')[0]})"     # the home pages differ by role
    rows.setdefault(k, []).append((int(f[4]), float(f[6][:-2]), int(f[5])))
# KB first/last: the mean answer size over the route's first and last tenth
# of requests, which shows answers that grow with the data the run writes.
print(f"{'route':44} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
      f" {'KB first':>9} {'KB last':>8}")
for k, v in sorted(rows.items(), key=lambda kv: -len(kv[1])):
    ms = sorted(x[1] for x in v)
    err = sum(1 for x in v if not 200 <= x[0] < 400)
    pc = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    t = max(1, len(v) // 10)
    kb = lambda part: sum(x[2] for x in part) / len(part) / 1024
    print(f"{k[:44]:44} {len(v):9d} {err:7d} {pc(0.5):8.1f} {pc(0.99):8.1f} {ms[-1]:8.1f}"
          f" {kb(v[:t]):9.1f} {kb(v[-t:]):8.1f}")
PY

{
	echo "hearth soak $(date -u +%FT%TZ)"
	echo "machine:  $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo); load average $load_before before, $load_after after (shared machine: figures are pessimistic)"
	echo "backend:  $backend"
	echo "load:     wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout ${TIMEOUT}s, bench/soak/mixed.lua ($mix)"
	echo "requests: $requests in $(w seconds) s = $rps/s"
	echo "latency:  p50 $(w p50_ms) ms, p90 $(w p90_ms) ms, p99 $(w p99_ms) ms, p99.9 $(w p99.9_ms) ms, max $(w max_ms) ms"
	echo "answers:  $by_status"
	echo "errors:   $errors non-2xx/3xx answers, $sock socket errors/timeouts"
	echo "writes:   $acked answered 201; $rows rows with the soak's marker in the database"
	echo "memory:   RSS start $(mb "$rss_start") MB, peak $(mb "$rss_peak") MB, after load $(mb "$rss_after") MB; anonymous after warm-up ($WARMUP s) $(mb "$rss_warm") MB, half-way $(mb "$rss_half") MB, end of load $(mb "$rss_end") MB"
	echo "flat:     $flat"
	[ -z "$split" ] || echo "rss:      $split (the database is read through mmap)"
	echo "heap:     $heap"
	echo "server:   $cpu_load CPU s during the load ($(awk -v c="$cpu_load" -v n="$requests" 'BEGIN { if (n && c != "?") printf "%.1f", 1000 * c / n; else print "?" }') ms a request); open files $fds_start at start, $fds_end at end; $thr_end threads; audit_log $audit_rows rows"
	echo "after:    health $health, new sign-in + /me $me, SIGTERM exit $stop_rc, audit verify $verify"
	grep '^SOAK sample' "$WRKOUT" | sed 's/^SOAK sample /error:    /' || true
	echo
	echo "sent (by kind):"
	awk '$1 == "SOAK" && $2 == "sent" {n = $3; $1 = $2 = $3 = ""; printf "  %8d %s\n", n, substr($0, 4)}' "$WRKOUT"
	echo
	echo "per route (server access log, ms inside the server):"
	sed 's/^/  /' "$ROUTES"
	echo
	if [ ${#failures[@]} -eq 0 ]; then echo "result:   PASS"
	else echo "result:   FAIL"; printf '  - %s\n' "${failures[@]}"; fi
} | tee "$RESULTS"
say "raw: $WRKOUT, $CSV, $ROUTES"
[ ${#failures[@]} -eq 0 ]
