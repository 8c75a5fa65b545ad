#!/usr/bin/env bash
# tests/http/hostile-access-log.sh HEARTH — one request is one access-log line.
#
# libmicrohttpd decodes the path, so %0A and %0D in a URL are a newline and
# a carriage return by the time access_log() (src/web/server.c) writes it
# to standard error: raw, they would let a client forge log lines; %FF and
# %1B would put bytes that are not UTF-8 and terminal escapes in the log.
# Starts `hearth serve` on a temporary SQLite database (seeded by
# `hearth demo`), sends such requests (signed in and not), stops the server
# and asserts, one counted line each:
#   * the log has exactly one line per request;
#   * no line is forged (none starts other than with a timestamp);
#   * the log is valid UTF-8 with no control character but the newlines;
#   * each hostile path appears in its escaped form (\n, \r, \xFF, \x1B).
# Ends with `hostile-access-log: N passed, N failed`; exit 1 on any failure.
set -uo pipefail
hearth=${1:?usage: hostile-access-log.sh HEARTH}
hearth=$(cd "$(dirname "$hearth")" && pwd)/$(basename "$hearth")
tmp=$(mktemp -d)
pid=
pass=0 fail=0
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
check() {  # check NAME COMMAND...
	local name=$1; shift
	if "$@"; then echo "ok  $name"; pass=$((pass + 1))
	else echo "FAIL $name"; fail=$((fail + 1)); fi
}
finish() {
	echo "hostile-access-log: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

db=sqlite:$tmp/test.db
if ! "$hearth" demo --db "$db" >"$tmp/demo.log" 2>&1; then
	check "hearth demo seeds a database" false
	finish
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$hearth" serve --db "$db" --listen "127.0.0.1:$port" >"$tmp/out.log" 2>"$tmp/access.log" &
pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do
	curl -sf -o /dev/null "$base/api/v1/health" && break
	sleep 0.1
done
curl -s -c "$tmp/jar" -o /dev/null -H 'Content-Type: application/json' \
	-d '{"email":"coordinator@hearth.example","password":"hearth-demo-password"}' \
	"$base/api/v1/session"
paths=(
	'/x%0A2026-01-01T00:00:00Z%20203.0.113.9%20GET%20/admin%20200%200%200.1ms%20admin@hearth.example'
	'/cases/%0D%0Aforged'
	'/surveys/%FF%FE'
	'/a%1B%5B2J%07b'
	'/families/%C3%28%E2%80%AE/consents'
)
sent=2   # the health check that answered and the sign-in
for p in "${paths[@]}"; do
	curl -s -o /dev/null "$base$p"; sent=$((sent + 1))
	curl -s -o /dev/null -b "$tmp/jar" "$base$p"; sent=$((sent + 1))
done
kill "$pid"; wait "$pid" 2>/dev/null; pid=
log=$tmp/access.log
grep -av '^hearth: ' "$log" >"$tmp/lines"   # the stop message is no request

lines=$(wc -l <"$tmp/lines")
check "one line per request ($lines lines, $sent requests)" [ "$lines" -eq "$sent" ]
check "every line starts with a timestamp (none forged)" \
	bash -c "! grep -aqvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' '$tmp/lines'"
check "the log is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$log" -o /dev/null
check "no control character but newlines" \
	bash -c "! LC_ALL=C grep -aq '[[:cntrl:]]' <(tr -d '\n' <'$log')"
check "%0A written as \\n" grep -aqF 'GET /x\n2026-01-01T00:00:00Z 203.0.113.9 GET /admin 200' "$log"
check "%0D%0A written as \\r\\n" grep -aqF 'GET /cases/\r\nforged ' "$log"
check "%FF%FE written as \\xFF\\xFE" grep -aqF 'GET /surveys/\xFF\xFE ' "$log"
check "%1B and %07 written as \\x1B and \\x07" grep -aqF 'GET /a\x1B[2J\x07b ' "$log"
check "a broken sequence and a bidi override escaped" \
	grep -aqF 'GET /families/\xC3(\u202E/consents ' "$log"
check "the signed-in user is still named" \
	bash -c "grep -aF 'GET /surveys/\\xFF\\xFE 404 ' '$log' | grep -q ' coordinator@hearth.example\$'"
finish
