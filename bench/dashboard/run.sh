#!/usr/bin/env bash
# bench/dashboard/run.sh — the dashboard benchmark of issues 8 and 3
# ("Measure"): GET /api/v1/reports/dashboard (every report section's table
# as one JSON) on ten years of a county, for a full financial year and for
# the whole decade, cold and warm, on SQLite and on PostgreSQL with one and
# two `hearth serve` processes, against the same figures computed by one
# hand-written SQL query per section (bench/dashboard/baseline.sql) in the
# sqlite3 shell and psql in the same run.  See bench/README.md.
#
#   1. bench/dashboard/gen.sh writes the county into SQLite (timed);
#   2. scripts/pg-test-server.sh starts a throwaway PostgreSQL and
#      `hearth migrate --from sqlite:… --to postgresql://…` copies it (timed);
#   3. for each backend and query: a new `hearth serve` (two for pg x2),
#      sign in as the admin, the first dashboard request is "cold", then
#      BENCH_DASH_RUNS more give the "warm" median; pg x1 and pg x2 also
#      answer BENCH_DASH_RUNS rounds of two requests at once (throughput);
#      each section's own API (GET /api/v1/reports/X) is timed warm, as a
#      guide to where the time goes;
#   4. the baseline in the sqlite3 shell and psql: one process each, the
#      whole file BENCH_DASH_RUNS + 1 times: run 0 cold, the median warm;
#   5. checks that hearth's dashboard and the baseline agree on the
#      outcomes section's first figures (cases closed, families, outcomes met);
#   6. prints the table and writes build/bench/results-dashboard.txt (the
#      raw timings: build/bench/dashboard-*.txt).
#
# Environment:
#   BENCH_DASH_YEARS=10     years of data (1 for a quick run while developing)
#   BENCH_DASH_DB=FILE      use this generated SQLite database (not timed, not changed)
#   BENCH_DASH_YEAR=2025    the financial year timed (the data ends 31 March 2026)
#   BENCH_DASH_RUNS=10      warm repetitions (fewer, at least 3, when one request
#                           takes over 5 s: BENCH_DASH_SLOW_RUNS=3)
#   BENCH_DASH_TIMEOUT=300  seconds a request may take; a dashboard that takes
#                           longer is reported as "timeout" (no warm runs)
#   BENCH_DASH_PG=1         0: SQLite only
#   BENCH_HEARTH=./hearth   the binary; BENCH_KEEP=1 keeps the temporary directory
# Exit status: 0 when everything was measured and the figures agreed, else 1.
set -uo pipefail
cd "$(dirname "$0")/../.."

YEARS=${BENCH_DASH_YEARS:-10}
FY=${BENCH_DASH_YEAR:-2025}
RUNS=${BENCH_DASH_RUNS:-10}
SLOW_RUNS=${BENCH_DASH_SLOW_RUNS:-3}
HEARTH=${BENCH_HEARTH:-./hearth}
USE_PG=${BENCH_DASH_PG:-1}
TIMEOUT=${BENCH_DASH_TIMEOUT:-300}
OUT=build/bench
RESULTS=$OUT/results-dashboard.txt
EMAIL=admin@bench.example
PASSWORD=hearth-bench-password
END=${BENCH_DASH_END:-2026-03-31}

say() { echo "bench-dashboard: $*" >&2; }
failed=0
fail() { say "FAIL: $*"; failed=1; }

for tool in sqlite3 curl python3; do
	command -v "$tool" >/dev/null || { say "'$tool' is missing"; exit 1; }
done
[ -x "$HEARTH" ] || { say "$HEARTH is missing: make hearth"; exit 1; }
routes=$("$HEARTH" routes)
grep -q $'^GET\t/api/v1/reports/dashboard\t' <<<"$routes" ||
	{ say "$HEARTH has no GET /api/v1/reports/dashboard"; exit 1; }

mkdir -p "$OUT"
rm -f "$RESULTS" "$OUT"/dashboard-*.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench-dash.XXXXXX")
chmod 755 "$tmp"   # the postgres user makes its cluster in it
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -d "$tmp/pg" ] && scripts/pg-test-server.sh stop "$tmp/pg" >/dev/null 2>&1
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
	printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- 1. the county in SQLite ---------------------------------------------------
db=$tmp/county.db
gen_s=-
if [ -n "${BENCH_DASH_DB:-}" ]; then
	say "using $BENCH_DASH_DB"
	cp "$BENCH_DASH_DB" "$db" || exit 1
else
	t0=$(date +%s.%N)
	BENCH_HEARTH=$HEARTH bench/dashboard/gen.sh "$db" "$YEARS" 2>"$tmp/gen.err" || {
		cat "$tmp/gen.err" >&2; exit 1; }
	gen_s=$(secs "$t0" "$(date +%s.%N)")
	cat "$tmp/gen.err" >&2
fi
rows=$(sqlite3 -separator ' ' "$db" "SELECT (SELECT count(*) FROM families),
	(SELECT count(*) FROM cases) + (SELECT count(*) FROM history_events WHERE kind = 'allocated'),
	(SELECT count(*) FROM contacts) + (SELECT count(*) FROM case_events)
		+ (SELECT count(*) FROM history_events),
	(SELECT count(*) FROM referrals) + (SELECT count(*) FROM history_cases),
	(SELECT min(substr(received_at, 1, 10)) FROM referrals),
	(SELECT min(on_date) FROM history_events)")
read -r n_fam n_cases n_events n_refs live_from hist_from <<<"$rows"
first_day=${hist_from:-$live_from}
[ -n "$first_day" ] || first_day=$live_from
# the decade: the first day of the data's first month to its end
dec_from=${first_day:0:7}-01
QUERIES=("year|period=financial&year=$FY|$FY-04-01|$((FY + 1))-03-31"
	"decade|period=custom&from=$dec_from&to=$END|$dec_from|$END")

# ---- 2. PostgreSQL ----------------------------------------------------------------
pg_url= mig_s=-
if [ "$USE_PG" = 1 ]; then
	if scripts/pg-test-server.sh start "$tmp/pg" 2>"$tmp/pg.err"; then
		base=$(cat "$tmp/pg/url")
		psql -X -q "${base}postgres" -c "CREATE DATABASE hearth_dash" >/dev/null &&
			pg_url=${base}hearth_dash
		say "hearth migrate to $pg_url"
		t0=$(date +%s.%N)
		if "$HEARTH" migrate --from "sqlite:$db" --to "$pg_url" >"$tmp/migrate.out" 2>&1; then
			mig_s=$(secs "$t0" "$(date +%s.%N)")
			psql -X -q "$pg_url" -c "VACUUM ANALYZE" >/dev/null
		else
			tail -n 5 "$tmp/migrate.out" >&2; fail "hearth migrate failed"; pg_url=
		fi
	else
		cat "$tmp/pg.err" >&2; fail "PostgreSQL could not be started"
	fi
fi

# ---- 3. hearth -------------------------------------------------------------------
# start_hearth URL: a new `hearth serve`; sets port (and appends its pid).
start_hearth() {
	local url=$1 log i
	port=$(free_port)
	log=$tmp/serve-$port.log
	"$HEARTH" serve --db "$url" --listen "127.0.0.1:$port" >"$log" 2>&1 &
	pids+=($!)
	for i in $(seq 100); do
		grep -q "listening" "$log" && return 0
		sleep 0.1
	done
	fail "hearth serve on $url did not start: $(tail -n 3 "$log")"; return 1
}
stop_hearths() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
}
signin() {  # signin PORT JAR
	curl -s -o /dev/null -w '%{http_code}' -c "$2" -H 'Content-Type: application/json' \
		-d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" \
		"http://127.0.0.1:$1/api/v1/session" | grep -q 200
}
# get PORT JAR PATH BODY: one request; prints its time in ms (fails unless 200).
get() {
	local r
	local rc=0
	r=$(curl -s --max-time "$TIMEOUT" -b "$2" -o "$4" -w '%{http_code} %{time_total}' \
		"http://127.0.0.1:$1$3") || rc=$?
	[ "$rc" != 28 ] || { echo timeout; return 2; }
	[ "$rc" = 0 ] || { echo "curl failed ($rc)" >&2; return 1; }
	[ "${r%% *}" = 200 ] || { echo "HTTP ${r%% *} for $3" >&2; return 1; }
	awk -v t="${r#* }" 'BEGIN { printf "%.1f\n", t * 1000 }'
}

declare -A H   # H[config/query/cold|warm|rps] = ms or requests/s
measure() {  # measure CONFIG URL NPROC
	local cfg=$1 url=$2 nproc=$3 q name qs cold t runs i ports jar t0 k
	for q in "${QUERIES[@]}"; do
		IFS='|' read -r name qs _ _ <<<"$q"
		ports=()
		for ((k = 0; k < nproc; k++)); do start_hearth "$url" || return 1; ports+=("$port"); done
		jar=$tmp/jar-$cfg
		signin "${ports[0]}" "$jar" || { fail "$cfg: sign-in failed"; stop_hearths; return 1; }
		local path="/api/v1/reports/dashboard?$qs"
		local grc=0
		cold=$(get "${ports[0]}" "$jar" "$path" "$tmp/dash-$cfg-$name.json") || grc=$?
		if [ "$grc" = 2 ]; then
			say "$cfg $name: no answer within $TIMEOUT s"
			H[$cfg/$name/cold]="timeout>${TIMEOUT}s"; H[$cfg/$name/warm]=-; H[$cfg/$name/runs]=0
			stop_hearths; continue
		fi
		[ "$grc" = 0 ] || { fail "$cfg $name: dashboard failed"; stop_hearths; return 1; }
		H[$cfg/$name/cold]=$cold
		runs=$RUNS
		awk -v c="$cold" 'BEGIN { exit !(c > 5000) }' && runs=$SLOW_RUNS
		say "$cfg $name: cold $cold ms; $runs warm runs"
		: >"$OUT/dashboard-$cfg-$name.txt"
		for ((i = 0; i < runs; i++)); do
			t=$(get "${ports[i % nproc]}" "$jar" "$path" /dev/null) ||
				{ fail "$cfg $name: dashboard failed"; break; }
			echo "$t" >>"$OUT/dashboard-$cfg-$name.txt"
		done
		H[$cfg/$name/warm]=$(median <"$OUT/dashboard-$cfg-$name.txt")
		H[$cfg/$name/runs]=$runs
		if [ "$cfg" != sqlite ]; then   # two at once: one per process (x2) or both on one (x1)
			t0=$(date +%s.%N)
			for ((i = 0; i < runs; i++)); do
				get "${ports[0]}" "$jar" "$path" /dev/null >>"$OUT/dashboard-$cfg-$name-pair.txt" &
				get "${ports[nproc - 1]}" "$jar" "$path" /dev/null >>"$OUT/dashboard-$cfg-$name-pair.txt"
				wait $!
			done
			H[$cfg/$name/rps]=$(awk -v n="$((2 * runs))" -v a="$t0" -v b="$(date +%s.%N)" \
				'BEGIN { printf "%.2f", n / (b - a) }')
		fi
		if [ "$name" = year ]; then   # each section's own API, warm (3 runs each)
			awk -F'\t' '$1 == "GET" && $2 ~ /^\/api\/v1\/reports\// &&
				$2 !~ /dashboard|\{/ { print $2 }' <<<"$routes" | while read -r api; do
				get "${ports[0]}" "$jar" "$api?$qs" /dev/null >/dev/null || continue
				for i in 1 2 3; do get "${ports[0]}" "$jar" "$api?$qs" /dev/null; done |
					median | sed "s|^|$cfg $api |"
			done >>"$OUT/dashboard-sections.txt"
		fi
		stop_hearths
	done
}

measure sqlite "sqlite:$db" 1
# The sections the dashboard answered (its tables' ids): the baseline is
# also summed over just these, like for like.
dash_ids=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["tables"]))' \
	"$tmp/dash-sqlite-year.json" 2>/dev/null)
if [ -n "$pg_url" ]; then
	measure "pg-x1" "$pg_url" 1
	measure "pg-x2" "$pg_url" 2
fi

# ---- 4. the baseline ---------------------------------------------------------------
declare -A B   # B[backend/query/cold|warm] = ms; per section in BS
baseline() {  # baseline BACKEND
	local be=$1 q name from to outf
	for q in "${QUERIES[@]}"; do
		IFS='|' read -r name _ from to <<<"$q"
		outf=$OUT/dashboard-baseline-$be-$name.txt
		if [ "$be" = sqlite ]; then
			python3 bench/dashboard/baseline.py sqlite "$from" "$to" "$RUNS" |
				sqlite3 "$db" >"$tmp/base.out" 2>&1 || fail "baseline sqlite $name failed"
		else
			python3 bench/dashboard/baseline.py pg "$from" "$to" "$RUNS" |
				psql -X -q -v ON_ERROR_STOP=1 "$pg_url" >"$tmp/base.out" 2>&1 ||
				fail "baseline pg $name failed"
		fi
		grep -q -i "error" "$tmp/base.out" && { fail "baseline $be $name: $(grep -i -m1 error "$tmp/base.out")"; }
		# "run section ms" per statement
		awk '/^@section / { run = $2; sec = $3; next }
			/^Run Time: real / { printf "%s %s %.1f\n", run, sec, $4 * 1000 }
			/^Time: / { printf "%s %s %.1f\n", run, sec, $2 }' "$tmp/base.out" >"$outf"
		cp "$tmp/base.out" "$tmp/base-$be-$name.out"
		B[$be/$name/cold]=$(awk '$1 == 0 { s += $3 } END { printf "%.1f", s }' "$outf")
		B[$be/$name/warm]=$(awk '$1 > 0 { s[$1] += $3 } END { for (r in s) print s[r] }' "$outf" | median)
		B[$be/$name/cold_same]=$(awk -v ids=" $dash_ids " '$1 == 0 && index(ids, " " $2 " ") { s += $3 }
			END { printf "%.1f", s }' "$outf")
		B[$be/$name/warm_same]=$(awk -v ids=" $dash_ids " '$1 > 0 && index(ids, " " $2 " ") { s[$1] += $3 }
			END { for (r in s) print s[r] }' "$outf" | median)
	done
}
say "baseline: sqlite3 shell"
baseline sqlite
if [ -n "$pg_url" ]; then say "baseline: psql"; baseline pg; fi

# ---- 5. agreement: the outcomes section's first figures ---------------------------------
agree=
for q in "${QUERIES[@]}"; do
	IFS='|' read -r name _ _ _ <<<"$q"
	f=$tmp/dash-sqlite-$name.json
	[ -f "$f" ] || continue
	h=$(python3 - "$f" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tables"].get("outcomes")
v = {r["key"]: r["values"].get("value") for r in t["rows"]} if t else {}
print("|".join(str(v.get(k, "-")) for k in ("cases_closed", "families", "outcomes_met")))
PY
)
	b=$(awk '/^@section 0 outcomes/ { getline; print; exit }' "$tmp/base-sqlite-$name.out" | cut -d'|' -f1-3)
	agree+="  outcomes $name: hearth $h, baseline $b"
	if [ "$h" = "$b" ]; then agree+=" (agree)"$'\n'; else agree+=" (DIFFER)"$'\n'; fail "outcomes $name: hearth $h, baseline $b"; fi
done

# ---- 6. the report -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
{
	echo "dashboard benchmark, $(date -u +%FT%TZ), $(nproc) cores, load avg $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "data: $n_fam families, $n_cases cases, $n_refs referrals, $n_events contacts and events" \
		"($dec_from to $END; history before ${live_from:-?}); generated in ${gen_s} s," \
		"hearth migrate to PostgreSQL ${mig_s} s"
	echo "queries: year = ${QUERIES[0]#*|}"; echo "         decade = ${QUERIES[1]#*|}"
	echo "         (the |from|to after each: the baseline's period)"
	echo
	printf '%-22s %12s %12s %6s %10s\n' "dashboard (ms)" "cold" "warm" "runs" "2-at-once"
	for cfg in sqlite pg-x1 pg-x2; do
		for name in year decade; do
			[ -n "${H[$cfg/$name/cold]:-}" ] || continue
			printf '%-22s %12s %12s %6s %10s\n' "hearth $cfg $name" "${H[$cfg/$name/cold]}" \
				"${H[$cfg/$name/warm]}" "${H[$cfg/$name/runs]}" "${H[$cfg/$name/rps]:+${H[$cfg/$name/rps]}/s}"
		done
	done
	for be in sqlite pg; do
		for name in year decade; do
			[ -n "${B[$be/$name/cold]:-}" ] || continue
			printf '%-22s %12s %12s %6s\n' "baseline $be $name" "${B[$be/$name/cold]}" "${B[$be/$name/warm]}" "$RUNS"
			printf '%-22s %12s %12s %6s\n' "  same sections" "${B[$be/$name/cold_same]}" "${B[$be/$name/warm_same]}" "$RUNS"
		done
	done
	echo
	echo "dashboard sections: ${dash_ids:-?}"
	echo "  (\"same sections\": the baseline summed over just those; the ratios below use it)"
	echo "ratios (warm; cold in brackets):"
	for name in year decade; do
		echo "  hearth sqlite / baseline sqlite $name   $(ratio "${H[sqlite/$name/warm]:-}" "${B[sqlite/$name/warm_same]:-}") ($(ratio "${H[sqlite/$name/cold]:-}" "${B[sqlite/$name/cold_same]:-}"))"
		echo "  hearth pg x1  / baseline psql   $name   $(ratio "${H[pg-x1/$name/warm]:-}" "${B[pg/$name/warm_same]:-}") ($(ratio "${H[pg-x1/$name/cold]:-}" "${B[pg/$name/cold_same]:-}"))"
		echo "  hearth pg x1  / hearth sqlite   $name   $(ratio "${H[pg-x1/$name/warm]:-}" "${H[sqlite/$name/warm]:-}")"
		echo "  hearth pg x2  / hearth pg x1    $name   $(ratio "${H[pg-x2/$name/warm]:-}" "${H[pg-x1/$name/warm]:-}")   two at once, requests/s x2/x1: $(ratio "${H[pg-x2/$name/rps]:-}" "${H[pg-x1/$name/rps]:-}")"
		echo "  baseline psql / baseline sqlite $name   $(ratio "${B[pg/$name/warm]:-}" "${B[sqlite/$name/warm]:-}")"
	done
	echo
	echo "baseline by section (warm median ms, year | decade):"
	for be in sqlite pg; do
		[ -f "$OUT/dashboard-baseline-$be-year.txt" ] || continue
		for name in year decade; do
			awk '$1 > 0 { print $2, $3 }' "$OUT/dashboard-baseline-$be-$name.txt" | sort -k1,1 -k2g |
				awk '{ v[$1] = v[$1] " " $2; n[$1]++ } END { for (s in v) { split(substr(v[s], 2), a, " ");
					m = n[s] % 2 ? a[(n[s] + 1) / 2] : (a[n[s] / 2] + a[n[s] / 2 + 1]) / 2; print s, m } }' |
				sort >"$tmp/sec-$be-$name"
		done
		join "$tmp/sec-$be-year" "$tmp/sec-$be-decade" | awk -v be="$be" '{ printf "  %-7s %-16s %10s %10s\n", be, $1, $2, $3 }'
	done
	if [ -f "$OUT/dashboard-sections.txt" ]; then
		echo "hearth by section API (year, warm median of 3, ms):"
		sed 's/^/  /' "$OUT/dashboard-sections.txt"
	fi
	echo "agreement (sqlite):"; printf '%s' "$agree"
	for cfg in sqlite pg-x1; do
		t=${H[$cfg/year/warm]:-}
		[ -n "$t" ] || continue
		if awk -v t="$t" 'BEGIN { exit !(t < 200) }'; then m=met; else m="NOT met"; fi
		echo "target:   hearth $cfg full-year dashboard under 200 ms: $m ($t ms warm, ${H[$cfg/year/cold]} ms cold)"
	done
	[ "$failed" = 0 ] && echo "status: ok" || echo "status: FAILED"
} | tee "$RESULTS"
exit "$failed"
