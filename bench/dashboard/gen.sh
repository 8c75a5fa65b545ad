#!/usr/bin/env bash
# bench/dashboard/gen.sh DB [YEARS] — write YEARS (default 10) of a
# county's family support into a new Hearth SQLite database DB, for the
# dashboard benchmark (bench/dashboard/run.sh; see bench/README.md).
#
#   1. `hearth init` makes the schema (every migration);
#   2. the sqlite3 shell runs bench/dashboard/gen.sql (and gen-cases.sql):
#      districts, 400 schools, 1,000 workers, ~20k families, ~38k
#      referrals and ~30k cases a year, contacts and the chronology,
#      assessments, budgets and commissions, census snapshots,
#      destinations and surveys; the first BENCH_DASH_HISTORY years (default
#      3 of 10, i.e. 30%) as history (history_cases/history_events);
#   3. `hearth user add`: the users the benchmark signs in as (admin,
#      coordinator, viewer, a school leader), all with the password
#      hearth-bench-password — through hearth, so the audit chain verifies.
# The data ends on BENCH_DASH_END (default 2026-03-31, the end of financial
# year 2025–26) and starts YEARS years before.  Prints the row counts.
#
# Environment: BENCH_HEARTH (./hearth), BENCH_DASH_END, BENCH_DASH_HISTORY.
set -euo pipefail
cd "$(dirname "$0")/../.."

db=${1:?usage: bench/dashboard/gen.sh DB [YEARS]}
years=${2:-10}
HEARTH=${BENCH_HEARTH:-./hearth}
end=${BENCH_DASH_END:-2026-03-31}
hist=${BENCH_DASH_HISTORY:-$(( years * 3 / 10 ))}
PASSWORD=hearth-bench-password

say() { echo "bench-dashboard-gen: $*" >&2; }
case $years in ''|*[!0-9]*) say "YEARS must be a whole number"; exit 2 ;; esac
[ "$years" -ge 1 ] && [ "$years" -le 20 ] || { say "YEARS must be 1 to 20"; exit 2; }
[ "$hist" -lt "$years" ] || { say "BENCH_DASH_HISTORY must be less than YEARS"; exit 2; }
[ -x "$HEARTH" ] || { say "$HEARTH is missing: make hearth"; exit 1; }
command -v sqlite3 >/dev/null || { say "sqlite3 is missing"; exit 1; }

rm -f "$db" "$db-wal" "$db-shm"
"$HEARTH" init --db "sqlite:$db" >/dev/null
start=$(date -u -d "$end + 1 day - $years years" +%F)
split=$(date -u -d "$start + $hist years" +%F)
say "$years years, $start to $end (history before $split) into $db"
t0=$(date +%s.%N)
sqlite3 "$db" <<EOF
PRAGMA temp_store = MEMORY;
CREATE TEMP TABLE g_cfg (s INT, e INT, h INT, y INT);
INSERT INTO g_cfg VALUES (unixepoch('$start') / 86400, unixepoch('$end') / 86400,
	unixepoch('$split') / 86400, $years);
.read bench/dashboard/gen.sql
EOF
t1=$(date +%s.%N)
say "generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"

"$HEARTH" user add --db "sqlite:$db" --name "Bench Admin" --email admin@bench.example \
	--role admin --password "$PASSWORD" >/dev/null
"$HEARTH" user add --db "sqlite:$db" --name "Bench Coordinator" --email coordinator@bench.example \
	--role coordinator --password "$PASSWORD" >/dev/null
"$HEARTH" user add --db "sqlite:$db" --name "Bench Viewer" --email viewer@bench.example \
	--role viewer --password "$PASSWORD" >/dev/null
"$HEARTH" user add --db "sqlite:$db" --name "Bench School" --email school@bench.example \
	--role school --school 130301 --password "$PASSWORD" >/dev/null

sqlite3 -separator ' ' "$db" "SELECT 'rows:', (SELECT count(*) FROM families) || ' families',
	(SELECT count(*) FROM referrals) || ' referrals',
	(SELECT count(*) FROM cases) || ' cases',
	(SELECT count(*) FROM history_cases) || ' history_cases',
	(SELECT count(*) FROM history_events) || ' history_events',
	(SELECT count(*) FROM contacts) || ' contacts',
	(SELECT count(*) FROM case_events) || ' case_events',
	(SELECT count(*) FROM assessment_scores) || ' assessment_scores',
	(SELECT count(*) FROM commissions) || ' commissions',
	(SELECT count(*) FROM pupils) || ' pupils',
	(SELECT count(*) FROM pupil_snapshots) || ' snapshots'" >&2
say "$(du -m "$db" | cut -f1) MB"
