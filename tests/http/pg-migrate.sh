#!/usr/bin/env bash
# tests/http/pg-migrate.sh HEARTH SERVER_URL — `hearth migrate` from SQLite
# to PostgreSQL, checked as a partnership would check it: every table's row
# count matches, the audit chain verifies on the target (with the migration
# itself on the record), a demo user can sign in to a server on the target
# and sees the same pupils, and a second migration into the now-full
# database is refused without changing it.  Before that: `hearth init` on a
# target named by HEARTH_DB (twice), and a source with a tampered audit row
# refused with nothing copied.  Ends "pg-migrate: N passed, N failed".
set -u
hearth=${1:?usage: pg-migrate.sh HEARTH SERVER_URL}
server=${2:?usage: pg-migrate.sh HEARTH SERVER_URL}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-migrate-XXXXXX")
db="hm_$$"
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null
	psql -q "${server}postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
check() {  # check NAME CONDITION-EXIT-STATUS
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok   $1"
	else failed=$((failed + 1)); echo "FAIL $1"; fi
}

HEARTH_DEMO_PUPILS=${HEARTH_DEMO_PUPILS:-1500} "$hearth" demo --db "sqlite:$tmp/src.db" >"$tmp/demo.log" 2>&1
check "demo seeds the SQLite source" $?
psql -q "${server}postgres" -c "CREATE DATABASE $db" >/dev/null 2>&1
check "target database created" $?

# The README's order: `hearth init` on the target named by HEARTH_DB (twice:
# the second finds the schema current and changes nothing), then migrate.
HEARTH_DB="${server}$db" "$hearth" init >"$tmp/i1.out" 2>&1 &&
	HEARTH_DB="${server}$db" "$hearth" init >"$tmp/i2.out" 2>&1
check "HEARTH_DB=postgresql://… hearth init, twice" $?
v=$(psql -At "${server}$db" -c "SELECT max(version) FROM schema_migrations" 2>/dev/null)
n=$(sqlite3 "$tmp/src.db" "SELECT max(version) FROM schema_migrations")
[ -n "$v" ] && [ "$v" = "$n" ]
check "hearth init recorded schema version $v on PostgreSQL, as demo did on SQLite ($n)" $?

# A source whose audit chain is broken is refused before anything is copied.
bad="hmbad_$$"
cp "$tmp/src.db" "$tmp/bad.db"
sqlite3 "$tmp/bad.db" "UPDATE audit_log SET summary = summary || ' (edited)' WHERE id = 3" 2>"$tmp/tamper.err"
check "tamper with one audit row of a copy of the source" $?
psql -q "${server}postgres" -c "CREATE DATABASE $bad" >/dev/null 2>&1
"$hearth" migrate --from "sqlite:$tmp/bad.db" --to "${server}$bad" >"$tmp/mb.out" 2>"$tmp/mb.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "audit log does not verify" "$tmp/mb.err" && grep -q "nothing was copied" "$tmp/mb.err"
check "a source with a broken audit chain is refused, naming it (exit $rc)" $?
nb=$(psql -At "${server}$bad" -c "SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM pupils) + (SELECT count(*) FROM users)" 2>/dev/null)
[ "$nb" = 0 ]
check "the refused migration copied nothing (audit, pupils, users: $nb rows)" $?
psql -q "${server}postgres" -c "DROP DATABASE IF EXISTS $bad WITH (FORCE)" >/dev/null 2>&1

"$hearth" migrate --from "sqlite:$tmp/src.db" --to "${server}$db" >"$tmp/m1.out" 2>"$tmp/m1.err"
check "hearth migrate exits 0" $?
grep -q "row counts match; audit log verifies" "$tmp/m1.out"
check "hearth migrate reports counts and chain verified" $?

# Sums kept by triggers (migrations 0016, 0017) are not copied: the target's
# triggers build them again from the rows copied (0018's outcome rows are
# worked out once after the copy).  A sum that went back to
# zero may leave its row behind on one side and never be written on the
# other, so these compare the rows that hold something, value by value.
kept_rows() {
	case $1 in
	activity_months|wait_months|activity_delta)
		echo "SELECT * FROM $1 WHERE n <> 0 ORDER BY 1, 2" ;;
	contact_months|contact_years)
		echo "SELECT * FROM $1 WHERE minutes <> 0 ORDER BY 1, 2" ;;
	commission_days)
		echo "SELECT * FROM $1 WHERE committed <> 0 OR spent <> 0 OR pending <> 0 OR counted <> 0 ORDER BY 1, 2" ;;
	outcome_after)   # (0018: rows of pupils no longer a closure's child stay behind, unread)
		echo "SELECT pupil_id FROM $1 WHERE pupil_id IN (SELECT pupil_id FROM outcome_rows) ORDER BY 1" ;;
	esac
}

# Every table of the schema (so a table the migrate command forgets fails here).
for t in $(sqlite3 "$tmp/src.db" "SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_migrations', 'audit_head')"); do
	q=$(kept_rows "$t")
	if [ -n "$q" ]; then
		sqlite3 "$tmp/src.db" "$q" >"$tmp/kept-a" && psql -At "${server}$db" -c "$q" >"$tmp/kept-b" \
			&& cmp -s "$tmp/kept-a" "$tmp/kept-b"
		check "kept sums $t: the same $(wc -l <"$tmp/kept-a") non-zero rows in SQLite and PostgreSQL" $?
		continue
	fi
	a=$(sqlite3 "$tmp/src.db" "SELECT count(*) FROM $t")
	b=$(psql -At "${server}$db" -c "SELECT count(*) FROM $t")
	[ "$t" = audit_log ] && b=$((b - 1))   # plus the migration's own row
	[ "$a" = "$b" ] && [ "$a" != "" ]
	check "table $t: $a rows in SQLite, $b in PostgreSQL" $?
done

"$hearth" audit verify --db "${server}$db" >"$tmp/v.out" 2>&1
check "audit chain verifies on the target" $?
psql -At "${server}$db" -c "SELECT count(*) FROM audit_log WHERE action = 'migrate'" | grep -qx 1
check "the migration is audited on the target" $?

# A new row gets an id after the copied ones (the id generators moved on).
psql -At "${server}$db" -c "INSERT INTO districts (name) VALUES ('After the move') RETURNING id" \
	| head -1 | awk -v max="$(sqlite3 "$tmp/src.db" 'SELECT max(id) FROM districts')" '{exit !($1 > max)}'
check "new ids continue after the copied ones" $?

port=$(( 20000 + RANDOM % 20000 ))
"$hearth" serve --db "${server}$db" --listen "127.0.0.1:$port" --quiet >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.2; done
curl -sf -c "$tmp/cj" -H 'Content-Type: application/json' \
	-d '{"email":"school@hearth.example","password":"hearth-demo-password"}' \
	"http://127.0.0.1:$port/api/v1/session" >/dev/null
check "a demo user signs in on the migrated database" $?
n_pg=$(curl -sf -b "$tmp/cj" "http://127.0.0.1:$port/api/v1/risk?limit=0" | grep -o '"upn"' | wc -l)
n_sq=$(sqlite3 "$tmp/src.db" "SELECT count(DISTINCT p.id) FROM pupils p JOIN schools s ON s.id = p.school_id WHERE s.urn = '140217'")
[ "$n_pg" -gt 0 ] && [ "$n_pg" = "$n_sq" ]
check "the school sees its $n_sq pupils on PostgreSQL (got $n_pg)" $?
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=

before=$(psql -At "${server}$db" -c "SELECT count(*) FROM audit_log")
"$hearth" migrate --from "sqlite:$tmp/src.db" --to "${server}$db" >"$tmp/m2.out" 2>"$tmp/m2.err"
[ $? -ne 0 ] && grep -q "already has rows" "$tmp/m2.err"
check "a second migration into a full database is refused" $?
after=$(psql -At "${server}$db" -c "SELECT count(*) FROM audit_log")
[ "$before" = "$after" ]
check "the refused migration changed nothing" $?

echo "pg-migrate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
