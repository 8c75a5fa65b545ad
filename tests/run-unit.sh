#!/usr/bin/env bash
# tests/run-unit.sh BUILD_DIR [LABEL [SKIP…]] — run every cmocka unit test
# binary under BUILD_DIR/tests (except the SKIP names) and end with
# "LABEL: N passed, N failed" (LABEL defaults to "unit").  A binary that
# crashes, hangs for 300 s or exits non-zero without reporting counts as
# one failure, so no test can quietly stop running; finding no binaries at
# all is a failure too.  tests/run-unit-pg.sh runs the same loop on
# PostgreSQL.
set -u
b=${1:-build}
label=${2:-unit}
shift $(( $# < 2 ? $# : 2 ))
passed=0 failed=0 ran=0
for t in "$b"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  for skip in "$@"; do [ "$name" = "$skip" ] && continue 2; done
  ran=$((ran + 1)) t0=$SECONDS
  out=$(timeout 300 "$t" 2>&1); rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    printf '%s\n' "$out" | grep -v '^\[ \(RUN\|       OK\) ' ; echo "FAIL $name (exit $rc)"
  else
    echo "ok   $name: $p ($((SECONDS - t0)) s)"
  fi
  passed=$((passed + p)) failed=$((failed + f))
done
if [ "$ran" -eq 0 ]; then
  echo "FAIL no test binaries under $b/tests"
  failed=$((failed + 1))
fi
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
