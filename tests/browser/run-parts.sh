#!/usr/bin/env bash
# tests/browser/run-parts.sh HEARTH [--db-server URL] — the browser layer in
# two parts at once (BROWSER_PART=1 and 2 of tests/browser/run.mjs), each
# with its own `hearth demo` database and server.  Most of a browser test's
# time is spent waiting on page loads, not on the CPU, so two parts take
# little more than half the time of one run.  Prints each part's output
# whole, then one line "browser: N passed, N failed" over both; the exit
# status is non-zero if either part failed or died without its count.
set -u
cd "$(dirname "$0")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-browser-parts-XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'kill 0; exit 130' INT TERM HUP
BROWSER_PART=1 node tests/browser/run.mjs "$@" >"$work/1.log" 2>&1 </dev/null & a=$!
BROWSER_PART=2 node tests/browser/run.mjs "$@" >"$work/2.log" 2>&1 </dev/null & b=$!
wait $a; ra=$?
wait $b; rb=$?
passed=0 failed=0
for part in 1 2; do
	echo "-- part $part"
	grep -v '^browser: [0-9]* passed' "$work/$part.log"
	line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$work/$part.log" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL browser part $part died without a count"
		failed=$((failed + 1))
		continue
	fi
	p=$(sed -E 's/^browser: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + p)) failed=$((failed + f))
done
if [ "$failed" -eq 0 ] && { [ "$ra" -ne 0 ] || [ "$rb" -ne 0 ]; }; then
	echo "FAIL browser: a part exited $ra / $rb"
	failed=1
fi
echo "browser: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
