#!/usr/bin/env bash
# tests/http/pg-two-servers.sh — two `hearth serve` processes on one
# PostgreSQL database behave as one service (issue 3).
#
#   tests/http/pg-two-servers.sh HEARTH [SERVER_URL]
#
# SERVER_URL is a PostgreSQL server (postgresql://user@host:port/, as
# scripts/pg-test-server.sh writes it); without it the script starts a
# throwaway one itself.  It makes a fresh database there, seeds it with
# `hearth demo` (or, with HEARTH_PG_TEMPLATE=NAME set, copies that database
# of the server, already seeded with the same HEARTH_DEMO_PUPILS, as
# tests/run-all.sh makes it: CREATE DATABASE … TEMPLATE NAME), adds one
# user, starts servers A and B on two free loopback ports, and
# asserts:
#   - a session made on A is valid on B, and signing out on B ends it on A;
#   - failed sign-ins alternated between A and B lock the account after 5
#     in total (the next, on either server, gets 429 "locked");
#   - 2x25 concurrent sign-ins plus 2x25 concurrent GET /api/v1/me through
#     both servers all succeed, add exactly one audit row each, and leave a
#     chain that `hearth audit verify` accepts and that has not forked;
#   - a census CSV uploaded on A is followed on B: B's progress page shows
#     it running (with progress written by A's import thread) and then
#     sends the browser to the finished report, which B shows; another
#     user gets 404; a job whose server died (a 'running' row not updated
#     for a minute, written directly) shows as stopped on either server.
# One line per assertion (ok / FAIL), then "pg-two: N passed, N failed".
# Exit status 1 on any failure; a PostgreSQL or server that cannot start is
# a failure, never a skip.  On failure (or with KEEP=1) the logs and the
# database are kept.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
hearth=${1:?usage: pg-two-servers.sh HEARTH [SERVER_URL]}
hearth=$(realpath "$hearth")
server=${2:-}
pass=0 failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-two-XXXXXX") || { echo "pg-two: 0 passed, 1 failed"; exit 1; }
pids=() own_pg=
PW=hearth-demo-password

ok()  { echo "ok  $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

# expect WHAT WANT HAVE: one assertion.
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected $2, got $3"; fi
}

finish() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$failed" -eq 0 ] && [ -z "${KEEP:-}" ]; then
		[ -z "${db:-}" ] || [ -n "$own_pg" ] || psql -XAtq "${admin_url:-}" \
			-c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1
		rm -rf "$tmp"
	else
		echo "(logs kept in $tmp${db:+; database $db})"
	fi
	[ -z "$own_pg" ] || "$here/scripts/pg-test-server.sh" stop "$own_pg"
	echo "pg-two: $pass passed, $failed failed"
	# (a bare `exit` in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'bad "interrupted"; exit 1' INT TERM HUP

die() { bad "$*"; exit 1; }

# The server URL with its database name replaced by $1.
url_with() {
	local base=${server%%\?*} q=
	[ "$base" = "$server" ] || q="?${server#*\?}"
	local auth=${base#*://}
	case $auth in */*) base=${base%/"${auth#*/}"} ;; *) base=$base/ ;; esac
	echo "${base%/}/$1$q"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start NAME: start `hearth serve` and wait (10 s) for /api/v1/health;
# sets port_NAME.  Three tries, in case a port is taken in between.
start() {
	local name=$1 try port pid i code
	for try in 1 2 3; do
		port=$(free_port)
		echo "==== starting $name on $port (try $try)" >>"$tmp/$name.log"
		setpriv --pdeathsig KILL -- "$hearth" serve --db "$db" --listen "127.0.0.1:$port" \
			--threads 8 </dev/null >>"$tmp/$name.log" 2>&1 &
		pid=$!
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$port/api/v1/health")
			if [ "$code" = 200 ]; then
				pids+=("$pid")
				printf -v "port_$name" %s "$port"
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	done
	tail -20 "$tmp/$name.log" | sed 's/^/  | /'
	die "server $name did not start"
}

base() { local v="port_$1"; echo "http://127.0.0.1:${!v}"; }

# call SERVER METHOD PATH [curl args...]: prints the status; the body is in
# $tmp/body.  Uses the cookie jar $tmp/jar.
call() {
	local s=$1 m=$2 p=$3; shift 3
	curl -s -X "$m" -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -c "$tmp/jar" \
		-H 'Expect:' "$@" "$(base "$s")$p"
}

login_body() { printf '{"email":"%s","password":"%s"}' "$1" "$2"; }

# json PATH: a value from $tmp/body ("" if absent).
json() {
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
	v=v.get(k) if isinstance(v,dict) else None
print("" if v is None else v)' "$tmp/body" "$1" 2>/dev/null
}

q() { psql -XAtq "$db" -c "$1"; }

# ---- a database and two servers ------------------------------------------

if [ -z "$server" ]; then
	own_pg="$tmp/pg"
	"$here/scripts/pg-test-server.sh" start "$own_pg" || die "cannot start a throwaway PostgreSQL"
	server=$(cat "$own_pg/url")
fi
dbname=hearth_two_$$_$RANDOM
admin_url=$(url_with postgres)
tpl=
if [ -n "${HEARTH_PG_TEMPLATE:-}" ] && [ -n "$server" ] && [ -z "$own_pg" ]; then
	[[ $HEARTH_PG_TEMPLATE =~ ^[a-z0-9_]+$ ]] || die "HEARTH_PG_TEMPLATE=$HEARTH_PG_TEMPLATE: not a plain database name"
	tpl=" TEMPLATE $HEARTH_PG_TEMPLATE"
fi
psql -XAtq "$admin_url" -c "CREATE DATABASE $dbname$tpl" >/dev/null || die "cannot create a database on $server"
db=$(url_with "$dbname")
if [ -z "$tpl" ]; then
	"$hearth" demo --db "$db" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; die "hearth demo failed"; }
fi
"$hearth" user add --db "$db" --name "Two Lock" --email twolock@hearth.example --role viewer \
	--password right-password-1234 >>"$tmp/demo.log" 2>&1 || die "hearth user add failed"
start A
start B
echo "servers: A $(base A), B $(base B), database $db"

for s in A B; do
	code=$(call "$s" GET /api/v1/health)
	expect "health on $s reports postgresql" "200 postgresql" "$code $(json backend)"
done

# ---- a session made on one server is valid on the other ------------------

rm -f "$tmp/jar"
code=$(call A POST /api/v1/session -H 'Content-Type: application/json' \
	--data-binary "$(login_body worker@hearth.example $PW)")
csrf=$(json csrf_token)
expect "sign in on A" "200" "$code"
code=$(call B GET /api/v1/me)
expect "A's session cookie works on B" "200 worker@hearth.example" "$code $(json user.email)"
code=$(call A GET /api/v1/me)
expect "and still on A" "200" "$code"
code=$(call B DELETE /api/v1/session -H "X-CSRF-Token: $csrf")
expect "sign out on B with A's CSRF token" "204" "$code"
code=$(call A GET /api/v1/me)
expect "the session is over on A" "401 auth_required" "$code $(json error.code)"
code=$(call B GET /api/v1/me)
expect "and on B" "401 auth_required" "$code $(json error.code)"

# ---- a lock-out counts across both servers --------------------------------

rm -f "$tmp/jar"
fails0=$(q "SELECT count(*) FROM login_failures WHERE email = 'twolock@hearth.example'")
i=0
for s in A B A B A; do
	i=$((i + 1))
	code=$(call "$s" POST /api/v1/session -H 'Content-Type: application/json' \
		--data-binary "$(login_body twolock@hearth.example wrong-$i)")
	expect "wrong password $i on $s" "401 auth_failed" "$code $(json error.code)"
done
expect "5 failures recorded in login_failures" "5" \
	"$(( $(q "SELECT count(*) FROM login_failures WHERE email = 'twolock@hearth.example'") - fails0 ))"
for s in B A; do
	code=$(call "$s" POST /api/v1/session -H 'Content-Type: application/json' \
		--data-binary "$(login_body twolock@hearth.example right-password-1234)")
	expect "right password on $s after 5 failures is locked" "429 locked" "$code $(json error.code)"
done
expect "audit: 5 login_failed and 2 login_locked for the account" "5 2" \
	"$(q "SELECT count(*) FILTER (WHERE action = 'login_failed') || ' ' ||
		count(*) FILTER (WHERE action = 'login_locked')
		FROM audit_log WHERE user_email = 'twolock@hearth.example'")"

# ---- concurrent writes through both servers ------------------------------

code=$(call A POST /api/v1/session -H 'Content-Type: application/json' \
	--data-binary "$(login_body auditor@hearth.example $PW)")
token=$(awk '$6 == "hearth_session" { print $7 }' "$tmp/jar")
expect "sign in on A for the concurrent reads" "200" "$code"
[ -n "$token" ] || bad "no hearth_session cookie in the jar"

# 25 of each: 100 requests at once, 50 of them sign-ins (argon2, ~0.1 CPU s
# each).  With 50 of each, on a loaded 2-core runner some requests waited
# past the server's 30 s connection timeout (MHD_OPTION_CONNECTION_TIMEOUT)
# and were closed unanswered: a test of the machine, not of the chain.
N=25
roles=(admin coordinator school worker agency viewer auditor)
# burst KIND SERVER: N requests of KIND at SERVER at once, one curl each;
# their statuses go to $tmp/KIND-SERVER.codes.
burst() {
	local i
	for i in $(seq "$N"); do
		if [ "$1" = login ]; then
			curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' -H 'Content-Type: application/json' \
				--data-binary "$(login_body "${roles[i % 7]}@hearth.example" $PW)" \
				"$(base "$2")/api/v1/session" >>"$tmp/$1-$2.codes" &
		else
			curl -s -o /dev/null -w '%{http_code}\n' -H "Cookie: hearth_session=$token" \
				"$(base "$2")/api/v1/me" >>"$tmp/$1-$2.codes" &
		fi
	done
	wait
}
rows0=$(q "SELECT count(*) FROM audit_log")
max0=$(q "SELECT coalesce(max(id), 0) FROM audit_log")
sess0=$(q "SELECT count(*) FROM sessions")
started=$(date +%s%N)
bpids=()
for k in login:A login:B me:A me:B; do
	burst "${k%:*}" "${k#*:}" &
	bpids+=($!)
done
wait "${bpids[@]}"
ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "    ($((4 * N)) concurrent requests took $ms ms)"
for k in login:A login:B me:A me:B; do
	f="$tmp/${k%:*}-${k#*:}.codes"
	got=$(grep -c '^200$' "$f")
	expect "$N concurrent ${k%:*} on ${k#*:}: all 200" "$N" "$got"
	[ "$got" = "$N" ] || sort "$f" | uniq -c | sed 's/^/    /'
done
expect "exactly one audit row per request (2x$N logins + 2x$N reads)" "$((4 * N))" \
	"$(( $(q "SELECT count(*) FROM audit_log") - rows0 ))"
expect "the new rows: $((2 * N)) login, $((2 * N)) view" "$((2 * N)) $((2 * N))" \
	"$(q "SELECT count(*) FILTER (WHERE action = 'login') || ' ' ||
		count(*) FILTER (WHERE action = 'view' AND route = 'GET /api/v1/me')
		FROM audit_log WHERE id > $max0")"
expect "one new session per sign-in" "$((2 * N))" "$(( $(q "SELECT count(*) FROM sessions") - sess0 ))"
expect "the chain has not forked (no two rows share a prev_hash)" "0" \
	"$(q "SELECT count(*) - count(DISTINCT prev_hash) FROM audit_log")"
expect "each row's prev_hash is the hash of the row before it" "0" \
	"$(q "SELECT count(*) FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY id) AS before
		FROM audit_log) t WHERE before IS NOT NULL AND prev_hash <> before")"
expect "audit_head points at the last row" "1" \
	"$(q "SELECT count(*) FROM audit_head h JOIN audit_log l ON l.id = h.last_id
		AND l.hash = h.hash WHERE h.last_id = (SELECT max(id) FROM audit_log)")"
total=$(q "SELECT count(*) FROM audit_log")
out=$("$hearth" audit verify --db "$db" 2>&1); rc=$?
expect "hearth audit verify passes over all $total rows" "0 audit log verifies: $total rows" "$rc $out"

# ---- an import started on A is followed on B (import_jobs) ---------------

# progress SERVER TOKEN: GET the progress page; prints "STATUS LOCATION".
progress() {
	local code
	code=$(call "$1" GET "/imports/progress/$2" -D "$tmp/hdr")
	echo "$code $(tr -d '\r' <"$tmp/hdr" | awk 'tolower($1) == "location:" { print $2 }')"
}

rm -f "$tmp/jar"
"$hearth" demo --census-csv "$tmp/census.csv" --pupils 20000 >"$tmp/census.log" 2>&1 \
	|| die "cannot write a census CSV"
code=$(call A POST /api/v1/session -H 'Content-Type: application/json' \
	--data-binary "$(login_body admin@hearth.example $PW)")
csrf=$(json csrf_token)
expect "admin signs in on A" "200" "$code"
code=$(call A POST /imports -D "$tmp/hdr" -F "csrf_token=$csrf" \
	-F "file=@$tmp/census.csv;filename=two-servers.csv;type=text/csv")
loc=$(tr -d '\r' <"$tmp/hdr" | awk 'tolower($1) == "location:" { print $2 }')
job=${loc#/imports/progress/}
expect "upload on A answers 303 to its progress page" "303 /imports/progress/" \
	"$code ${loc%"$job"}"
expect "the job's row is in the database, its token only hashed" "1 0" \
	"$(q "SELECT count(*) FROM import_jobs WHERE token_hash = '$(printf %s "$job" |
		sha256sum | cut -d' ' -f1)'") $(q "SELECT count(*) FROM import_jobs
		WHERE token_hash = '$job'")"

# Poll on B (up to 180 s) until it sends the browser to the report.
seen_running=0 max_pct=0 last= codes=
for i in $(seq 600); do
	last=$(progress B "$job")
	case $last in
	200\ *)
		grep -q '<h1 class="govuk-heading-l">Importing</h1>' "$tmp/body" &&
			seen_running=$((seen_running + 1))
		pct=$(sed -n 's/.*<progress id="progress"[^>]* value="\([0-9]*\)".*/\1/p' "$tmp/body")
		[ "${pct:-0}" -le "$max_pct" ] || max_pct=$pct ;;
	303\ /imports/[0-9]*) break ;;
	*) break ;;
	esac
	sleep 0.3
done
echo "    (B showed the import running $seen_running times, at most $max_pct% read)"
iid=$(q "SELECT id FROM imports WHERE filename = 'two-servers.csv'")
expect "B's progress page ends at the report of A's import" "303 /imports/$iid" "$last"
[ "$seen_running" -gt 0 ]
expect "B showed the import running while A ran it" 0 $?
[ "$max_pct" -gt 0 ]
expect "B showed progress written by A's import thread" 0 $?
expect "the job's row is done, naming the import" "done $iid applied" \
	"$(q "SELECT status || ' ' || import_id || ' ' || result FROM import_jobs
		WHERE token_hash = '$(printf %s "$job" | sha256sum | cut -d' ' -f1)'")"
code=$(call B GET "/imports/$iid")
rows=$(q "SELECT rows_total || ' ' || status FROM imports WHERE id = ${iid:-0}")
grep -q 'two-servers.csv' "$tmp/body" && grep -qi 'applied' "$tmp/body"
expect "B shows the finished report ($rows)" "200 0 20000 applied" "$code $? $rows"
last=$(progress A "$job")
expect "and A's progress page agrees" "303 /imports/$iid" "$last"

# Another user's job is not found, on either server.
cp "$tmp/jar" "$tmp/jar.admin"
rm -f "$tmp/jar"
code=$(call B POST /api/v1/session -H 'Content-Type: application/json' \
	--data-binary "$(login_body school@hearth.example $PW)")
expect "school user signs in on B" "200" "$code"
expect "the admin's job is not found for the school user on B" "404 " "$(progress B "$job")"
expect "nor on A" "404 " "$(progress A "$job")"
cp "$tmp/jar.admin" "$tmp/jar"

# A job whose server died mid-import: its row still says running, last
# updated long ago.  Either server says it stopped and nothing was applied.
dead=00112233445566778899aabbccddeeff
q "INSERT INTO import_jobs (token_hash, user_id, status, bytes_done, bytes_total, started_at,
	updated_at) SELECT '$(printf %s $dead | sha256sum | cut -d' ' -f1)', id, 'running', 5, 10,
	'2026-01-05T10:00:00Z', '2026-01-05T10:01:00Z' FROM users
	WHERE email = 'admin@hearth.example'" >/dev/null
for s in B A; do
	code=$(call "$s" GET "/imports/progress/$dead")
	grep -q 'The import stopped' "$tmp/body" &&
		grep -q 'The server running this import stopped; nothing was applied' "$tmp/body"
	expect "a running row last updated long ago shows as stopped on $s" "200 0" "$code $?"
done

# ---- both servers are still up and stop cleanly --------------------------

for i in 0 1; do
	s=$([ $i = 0 ] && echo A || echo B)
	if kill -0 "${pids[i]}" 2>/dev/null; then
		kill -TERM "${pids[i]}"
		wait "${pids[i]}"; rc=$?
		[ "$rc" != 143 ] || rc=0     # ended by the SIGTERM itself
		expect "server $s stops cleanly on SIGTERM" "0" "$rc"
	else
		bad "server $s died during the test"; tail -20 "$tmp/$s.log" | sed 's/^/  | /'
	fi
done
pids=()
if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$tmp"/A.log "$tmp"/B.log; then
	bad "a server log has a sanitizer report"
fi
