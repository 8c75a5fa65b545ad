#!/usr/bin/env bash
# tests/run-unit.sh BUILD_DIR — run every cmocka unit test binary under
# BUILD_DIR/tests and end with "unit: N passed, N failed".  A binary that
# crashes or exits non-zero without reporting counts as one failure, so no
# test can quietly stop running.
set -u
b=${1:-build}
passed=0 failed=0
for t in "$b"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1); rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    printf '%s\n' "$out" | grep -v '^\[ \(RUN\|       OK\) ' ; echo "FAIL $(basename "$t") (exit $rc)"
  else
    echo "ok   $(basename "$t"): $p"
  fi
  passed=$((passed + p)) failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
