#!/usr/bin/env bash
# bench/import.sh — the import benchmark of issue 4 ("Measure"): a census
# CSV of N pupils imported and scored by `hearth import` into SQLite,
# against the baseline a council analyst would use on the same file:
# the sqlite3 shell's `.import` followed by one SQL statement that computes
# the same scores and bands (no validation at all).  See bench/README.md.
#
# For each size N (default 250k, 500k, 1M):
#   1. `hearth demo --census-csv FILE --pupils N` writes the CSV (not timed);
#   2. hearth: a copy of a `hearth demo --pupils 0` database (schools and
#      users, no pupils), then `/usr/bin/time -v hearth import FILE`: wall
#      time, CPU time, peak RSS;
#   3. baseline: a fresh database, `sqlite3 DB '.import --csv FILE census'`
#      (timed), then `sqlite3 DB 'CREATE TABLE scores AS SELECT …'` — the
#      default rule set as one statement (timed);
#   4. check: every pupil of the CSV has a snapshot in hearth's database
#      whose risk_score and risk_band equal the baseline's (joined on UPN);
#      the number of disagreements must be 0;
#   5. re-import (BENCH_IMPORT_LATER=1): `hearth demo --census-csv --later`
#      (the same city about 20 months on) imported into that database,
#      timed the same way; every pupil's latest-snapshot mark must then be
#      on its newest snapshot (0 wrong marks).  No baseline: the analyst's
#      would be another table.
# Then the scoring step alone: bench/score_bench.c (built here against
# build/libhearth.a) scores 10M synthetic pupils with risk_score.
# Prints the table and writes build/bench/results-import.txt.
#
# Environment:
#   BENCH_IMPORT_PUPILS="250000 500000 1000000"   sizes to run
#   BENCH_IMPORT_SEED=    census seed (default: hearth's, matching the demo's URNs)
#   BENCH_IMPORT_SCORE_N=10000000                 pupils for score_bench
#   BENCH_HEARTH=./hearth                         the binary to measure
#   BENCH_IMPORT_LATER=1  also time the re-import of a later extract (0: skip)
#   BENCH_KEEP=1          keep the temporary directory (CSVs, databases)
#
# Exit status: 0 when every size was measured and hearth agreed with the
# baseline on every pupil; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${BENCH_IMPORT_PUPILS:-250000 500000 1000000}
SEED=${BENCH_IMPORT_SEED:-}
SCORE_N=${BENCH_IMPORT_SCORE_N:-10000000}
LATER=${BENCH_IMPORT_LATER:-1}
HEARTH=${BENCH_HEARTH:-./hearth}
OUT=build/bench
RESULTS=$OUT/results-import.txt

say() { echo "bench-import: $*" >&2; }
failed=0
fail() { say "FAIL: $*"; failed=1; }

for tool in sqlite3 gcc pkg-config; do
	command -v "$tool" >/dev/null || { say "'$tool' is missing (scripts/deps.sh bench installs it)"; exit 1; }
done
[ -x /usr/bin/time ] || { say "/usr/bin/time is missing (Debian package 'time')"; exit 1; }
[ -x "$HEARTH" ] || { say "$HEARTH is missing: make hearth"; exit 1; }
[ -f build/libhearth.a ] || { say "build/libhearth.a is missing: make build/hearth"; exit 1; }

mkdir -p "$OUT"
rm -f "$RESULTS"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench-import.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

seed_args=()
[ -z "$SEED" ] || seed_args=(--seed "$SEED")

# The scores of the default rule set (migrations/0003.sqlite.sql: in each
# group only the highest-points rule that fires counts; bands from the
# settings risk.band.high=40, risk.band.medium=20), computed from the CSV's
# text columns the way src/core/risk.h defines the indicators:
# percentages rounded down and unknown (never firing) when sessions
# possible is 0 or empty; SEN support = provision K; EHC plan = provision E
# or the EHC plan flag; flags are 'Y'.  One statement.
BASELINE_SQL=$(cat <<'EOF'
CREATE TABLE scores AS
SELECT upn, score,
       CASE WHEN score >= 40 THEN 'high' WHEN score >= 20 THEN 'medium' ELSE 'low' END AS band
FROM (
  SELECT upn,
      CASE WHEN att < 50 THEN 30 WHEN att < 90 THEN 15 ELSE 0 END
    + CASE WHEN unauth >= 10 THEN 5 ELSE 0 END
    + CASE WHEN pex = 'Y' THEN 30 WHEN susp >= 3 THEN 20 WHEN susp >= 1 THEN 10 ELSE 0 END
    + CASE WHEN sen = 'E' OR ehcp = 'Y' THEN 10 WHEN sen = 'K' THEN 8 ELSE 0 END
    + CASE WHEN lac = 'Y' THEN 20 WHEN cp = 'Y' THEN 20 WHEN cin = 'Y' THEN 12 ELSE 0 END
    + CASE WHEN fsm = 'Y' THEN 8 ELSE 0 END
    + CASE WHEN carer = 'Y' THEN 10 ELSE 0 END
    + CASE WHEN yj = 'Y' THEN 20 ELSE 0 END
    + CASE WHEN moves >= 3 THEN 10 ELSE 0 END
    + CASE WHEN below = 'Y' THEN 10 ELSE 0 END
    + CASE WHEN ealnew = 'Y' THEN 5 ELSE 0 END
    + CASE WHEN parent = 'Y' THEN 20 ELSE 0 END AS score
  FROM (
    SELECT "UPN" AS upn,
      CASE WHEN CAST(NULLIF("Sessions possible", '') AS INTEGER) > 0
           THEN CAST(NULLIF("Sessions attended", '') AS INTEGER) * 100
                / CAST("Sessions possible" AS INTEGER) END AS att,
      CASE WHEN CAST(NULLIF("Sessions possible", '') AS INTEGER) > 0
           THEN CAST(NULLIF("Unauthorised absence", '') AS INTEGER) * 100
                / CAST("Sessions possible" AS INTEGER) END AS unauth,
      CAST(NULLIF("Suspensions", '') AS INTEGER) AS susp,
      CAST(NULLIF("School moves", '') AS INTEGER) AS moves,
      "Permanent exclusion" AS pex, "SEN provision" AS sen, "EHC plan" AS ehcp,
      "Looked after" AS lac, "Child protection" AS cp, "Child in need" AS cin,
      "FSM" AS fsm, "Young carer" AS carer, "Youth justice" AS yj,
      "Below expected" AS below, "New to English" AS ealnew, "Young parent" AS parent
    FROM census));
EOF
)

# Pupils of the CSV whose hearth snapshot is missing or disagrees with the
# baseline's score or band (run in hearth's database, baseline attached).
CHECK_SQL="SELECT count(*) FROM b.scores s
	LEFT JOIN pupils p ON p.upn = s.upn
	LEFT JOIN pupil_snapshots ps ON ps.pupil_id = p.id
	WHERE ps.id IS NULL OR ps.risk_score <> s.score OR ps.risk_band <> s.band;"

# Snapshots whose latest mark (migrations/0010, 0014) is not on the
# pupil's newest extract, or is on an older one (must be 0).
MARK_SQL="SELECT count(*) FROM pupil_snapshots s WHERE s.latest <>
	(s.extract_date = (SELECT max(q.extract_date) FROM pupil_snapshots q WHERE q.pupil_id = s.pupil_id));"

# timed NAME CMD...: run CMD under /usr/bin/time -v (output to
# $tmp/NAME.out, .err); sets t_wall (s), t_cpu (user+sys s), t_rss (MB).
timed() {
	local name=$1; shift
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	t1=$(date +%s.%N)
	t_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	t_cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tmp/$name.time")
	t_rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tmp/$name.time")
	return "$rc"
}

say "seeding the schools: $HEARTH demo --pupils 0"
if ! "$HEARTH" demo --db "sqlite:$tmp/seed.db" --pupils 0 >"$tmp/seed.out" 2>&1; then
	say "'$HEARTH demo --pupils 0' failed:"; tail -n 20 "$tmp/seed.out" >&2; exit 1
fi

say "building $OUT/score_bench"
make -s "$OUT/score_bench" >&2

rows=() extra=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $SIZES; do
	csv=$tmp/census-$n.csv
	say "$n pupils: writing the census CSV"
	if ! "$HEARTH" demo --census-csv "$csv" --pupils "$n" "${seed_args[@]}" >"$tmp/gen.out" 2>&1; then
		fail "$n: census CSV not written: $(tail -n 3 "$tmp/gen.out")"; continue
	fi
	mb=$(du -m "$csv" | cut -f1)
	sync "$csv"

	say "$n pupils: hearth import"
	cp "$tmp/seed.db" "$tmp/hearth-$n.db"
	if ! timed "hearth-$n" "$HEARTH" import "$csv" --db "sqlite:$tmp/hearth-$n.db"; then
		fail "$n: hearth import failed: $(tail -n 5 "$tmp/hearth-$n.out" "$tmp/hearth-$n.err")"; continue
	fi
	h_wall=$t_wall h_cpu=$t_cpu h_rss=$t_rss
	h_report=$(grep -m1 '^import ' "$tmp/hearth-$n.out" || true)
	say "  $h_wall s ($h_cpu s CPU), peak $h_rss MB: $h_report"
	h_dbmb=$(du -cm "$tmp/hearth-$n.db"* | tail -n 1 | cut -f1)

	say "$n pupils: baseline sqlite3 .import + one statement"
	if ! timed "base-import-$n" sqlite3 -batch "$tmp/base-$n.db" ".import --csv $csv census"; then
		fail "$n: sqlite3 .import failed: $(tail -n 5 "$tmp/base-import-$n.err")"; continue
	fi
	b_imp=$t_wall b_imp_cpu=$t_cpu b_rss=$t_rss
	if ! timed "base-score-$n" sqlite3 -batch "$tmp/base-$n.db" "$BASELINE_SQL"; then
		fail "$n: baseline statement failed: $(tail -n 5 "$tmp/base-score-$n.err")"; continue
	fi
	b_score=$t_wall b_score_cpu=$t_cpu
	[ "$t_rss" -gt "$b_rss" ] && b_rss=$t_rss
	b_total=$(awk -v a="$b_imp" -v b="$b_score" 'BEGIN { printf "%.2f", a + b }')
	b_cpu=$(awk -v a="$b_imp_cpu" -v b="$b_score_cpu" 'BEGIN { printf "%.2f", a + b }')
	say "  import $b_imp s + statement $b_score s = $b_total s ($b_cpu s CPU)"

	base_rows=$(sqlite3 "$tmp/base-$n.db" 'SELECT count(*) FROM scores;')
	disagree=$(sqlite3 -cmd ".timeout 10000" "$tmp/hearth-$n.db" \
		"ATTACH '$tmp/base-$n.db' AS b; $CHECK_SQL")
	snaps=$(sqlite3 "$tmp/hearth-$n.db" 'SELECT count(*) FROM pupil_snapshots;')
	[ "$base_rows" = "$n" ] || fail "$n: the baseline scored $base_rows rows, not $n"
	[ "$snaps" = "$n" ] || fail "$n: hearth stored $snaps snapshots, not $n"
	[ "$disagree" = 0 ] || fail "$n: $disagree pupils where hearth and the baseline disagree"
	say "  check: $disagree disagreements ($snaps snapshots, $base_rows baseline rows)"

	ratio=$(awk -v h="$h_wall" -v b="$b_total" 'BEGIN { printf "%.2f", h / b }')
	cratio=$(awk -v h="$h_cpu" -v b="$b_cpu" 'BEGIN { printf "%.2f", h / b }')
	rate=$(awk -v h="$h_wall" -v n="$n" 'BEGIN { printf "%.0f", n / h }')
	rows+=("$(printf '%9s %6s %8s %8s %8s %8s %8s %8s %8s %6s %6s %9s %8s' \
		"$n" "$mb" "$h_wall" "$h_cpu" "$h_rss" "$b_imp" "$b_score" "$b_total" "$b_cpu" \
		"$ratio" "$cratio" "$rate" "$disagree")")
	extra+=("  $n: hearth db $h_dbmb MB; baseline peak RSS $b_rss MB; $h_report")

	if [ "$LATER" = 1 ]; then
		say "$n pupils: re-import of a later extract"
		if ! "$HEARTH" demo --census-csv "$csv.later" --pupils "$n" --later "${seed_args[@]}" \
			>"$tmp/gen.out" 2>&1; then
			fail "$n: later census CSV not written: $(tail -n 3 "$tmp/gen.out")"
		elif ! timed "hearth-later-$n" "$HEARTH" import "$csv.later" --db "sqlite:$tmp/hearth-$n.db"; then
			fail "$n: re-import failed: $(tail -n 5 "$tmp/hearth-later-$n.out" "$tmp/hearth-later-$n.err")"
		else
			wrong=$(sqlite3 "$tmp/hearth-$n.db" "$MARK_SQL")
			[ "$wrong" = 0 ] || fail "$n: $wrong snapshots with a wrong latest mark after the re-import"
			l_report=$(grep -m1 '^import ' "$tmp/hearth-later-$n.out" || true)
			say "  $t_wall s ($t_cpu s CPU), peak $t_rss MB, $wrong wrong marks: $l_report"
			extra+=("  $n re-import of the later extract: $t_wall s wall, $t_cpu s CPU, peak $t_rss MB; $wrong wrong latest marks; $l_report")
		fi
		rm -f "$csv.later"
	fi
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$csv" "$tmp/hearth-$n.db"* "$tmp/base-$n.db"*
done

say "scoring alone: $OUT/score_bench ($SCORE_N pupils)"
score_out=$("$OUT/score_bench" "sqlite:$tmp/seed.db" "$SCORE_N" 2>&1) || fail "score_bench failed: $score_out"

{
	echo "hearth import benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)," \
		"$(df -T "$tmp" | awk 'NR == 2 { print $2 }') at $tmp;" \
		"load avg before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "hearth: $HEARTH ($(sqlite3 --version | cut -d' ' -f1) shell for the baseline)"
	echo
	printf '%9s %6s %8s %8s %8s %8s %8s %8s %8s %6s %6s %9s %8s\n' \
		rows csvMB hearth_s h_cpu_s h_peakMB b_imp_s b_scr_s b_tot_s b_cpu_s ratio cpu_r "h_rows/s" disagree
	for r in "${rows[@]}"; do echo "$r"; done
	echo
	echo "  hearth_s   wall time of 'hearth import' (CSV read, every field validated, upsert of"
	echo "             pupils and snapshots, scoring, one transaction, commit)"
	echo "  h_cpu_s    its user+sys CPU seconds (the machine is shared: compare these when busy)"
	echo "  h_peakMB   its peak RSS (/usr/bin/time -v)"
	echo "  b_*        baseline: sqlite3 '.import --csv' into a fresh db, then one"
	echo "             CREATE TABLE scores AS SELECT … (default rules); b_tot_s = import + statement"
	echo "  ratio      hearth_s / b_tot_s (target: <= 1.00);  cpu_r: the same in CPU seconds"
	echo "  disagree   pupils whose hearth risk_score/risk_band differs from the baseline's (must be 0)"
	for x in "${extra[@]}"; do echo "$x"; done
	echo
	echo "scoring step alone (bench/score_bench.c, default ruleset from the demo db):"
	echo "$score_out" | sed 's/^/  /'
	echo
	for r in "${rows[@]}"; do
		read -r n _ hw _ _ _ _ bt _ ra _ <<<"$r"
		if awk -v r="$ra" 'BEGIN { exit !(r <= 1.0) }'; then
			echo "target: $n rows: met (hearth $hw s <= baseline $bt s)"
		else
			echo "target: $n rows: NOT met (hearth $hw s = $ra x baseline $bt s)"
		fi
	done
	[ "$failed" = 0 ] && echo "status: ok" || echo "status: FAILED (see messages above)"
} >"$RESULTS"
echo
cat "$RESULTS"
echo "(written to $RESULTS)"
exit "$failed"
