#!/usr/bin/env bash
# tests/run-all.sh — run every test layer and sum them.
#
# Layers: unit (cmocka), http (declarative cases against a real server),
# browser (Playwright in Debian's Chromium); the same on a throwaway
# PostgreSQL (pg-unit, pg-http, pg-browser) with two servers sharing it
# (pg-two); the crash test (SIGKILL under write load, tests/crash) on both;
# slow clients (flood), a full or read-only disk (diskfull, pg-diskfull),
# hostile text crawled through every page (crawl), every fuzz target for a
# few seconds (fuzz); then unit and http again under ASan+UBSan.  Each
# layer's time is printed at the end.  valgrind runs only when named.  Each layer ends with "LAYER: N passed, N failed"; this script
# ends with the one line "N passed, N failed" over all of them and exits
# non-zero if anything failed or a layer died without counting.
set -u
cd "$(dirname "$0")/.."
# The test servers' demo city: enough pupils for every page, quick to seed.
export HEARTH_DEMO_PUPILS=${HEARTH_DEMO_PUPILS:-2000}
layers=${*:-unit http crash flood diskfull crawl fuzz browser pg-unit pg-http pg-two pg-migrate pg-crash pg-diskfull pg-browser san-unit san-http san-pg-unit}
total_p=0 total_f=0 times=()

run_layer() {
  local name=$1; shift
  echo "== $name"
  local log; log=$(mktemp) t0=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line; line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  rm -f "$log"
  local p f
  p=$(sed -E 's/^[a-z-]+: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")
  [ -n "$line" ] || { p=0; f=1; echo "$name: layer died without a count (exit $rc)"; }
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$name: exit $rc"; fi
  total_p=$((total_p + p)) total_f=$((total_f + f))
  times+=("$name $((SECONDS - t0))s")
}

for l in $layers; do
  case $l in
    unit)     run_layer unit tests/run-unit.sh build ;;
    http)     run_layer http build/httptest --hearth build/hearth --cases tests/http/cases ;;
    crash)    run_layer crash python3 tests/crash/crash.py build/hearth ;;
    flood)    run_layer flood python3 tests/crash/flood.py build/hearth ;;
    diskfull) run_layer diskfull python3 tests/crash/diskfull.py build/hearth ;;
    fuzz)     run_layer fuzz fuzz/run-ci.sh ;;
    valgrind) run_layer valgrind tests/run-valgrind.sh ;;   # on demand (make valgrind): hours
    crawl)    run_layer crawl python3 tests/crawl/crawl.py build/hearth ;;
    browser)  run_layer browser node tests/browser/run.mjs build/hearth ;;
    pg-unit)  run_layer pg-unit tests/run-unit-pg.sh build ;;
    pg-http)  run_layer pg-http tests/run-pg.sh pg-http ;;
    pg-two)   run_layer pg-two tests/run-pg.sh pg-two ;;
    pg-migrate) run_layer pg-migrate tests/run-pg.sh pg-migrate ;;
    pg-crash) run_layer pg-crash tests/run-pg.sh pg-crash ;;
    pg-diskfull) run_layer pg-diskfull tests/run-pg.sh pg-diskfull ;;
    pg-browser) run_layer pg-browser tests/run-pg.sh pg-browser ;;
    san-unit) if make --no-print-directory sanitize-build >/dev/null; then
                run_layer san-unit tests/run-unit.sh build/san
              else echo "san-unit: sanitizer build failed"; total_f=$((total_f + 1)); fi ;;
    san-http) run_layer san-http build/san/httptest --hearth build/san/hearth --cases tests/http/cases ;;
    san-pg-unit) run_layer san-pg-unit tests/run-unit-pg.sh build/san ;;
    *) echo "unknown layer $l"; total_f=$((total_f + 1)) ;;
  esac
done
echo "layer times: ${times[*]} (total $SECONDS s)"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
