#!/usr/bin/env bash
# fuzz/run-ci.sh — build every libFuzzer target and run each for a bounded time.
#
#   fuzz/run-ci.sh [NAME...]       (default: every fuzz/fuzz_NAME.c)
#   FUZZ_SECONDS=5                 seconds per target (make fuzz: 60)
#   FUZZ_OPT=-O0                   the targets' optimisation (make fuzz: -O1)
#
# make test's layer is this script with its defaults: built at -O0 (under
# build/fuzz-O0; a third of the CPU of the -O1 build, which was most of the
# layer's) and 5 s a target, a smoke test that re-runs every committed seed
# and explores a little.  make fuzz builds at -O1 under build/fuzz (about
# 1.5 times the executions a second) and runs each target 60 s.
#
# Each target starts from its committed seeds (fuzz/corpus/NAME, read only)
# plus what earlier runs found (build/fuzz/corpus-NAME, where new inputs
# go), so a committed reproducer of a fixed bug is re-run every time.  A
# crash, a failed invariant (abort), a leak, a timeout (10 s for one input)
# or running out of memory fails the target; its reproducer is left in
# build/fuzz/crash/ and the sanitizer's summary printed.  One line per
# target with its executions, then exactly one line
#   fuzz: N passed, N failed
# Exit status 1 if anything failed (or the targets do not build).
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-5}
opt=${FUZZ_OPT:--O0}
fb=build/fuzz
[ "$opt" = -O1 ] || fb=build/fuzz$opt
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; names+=("${n%.c}"); done
fi

targets=()
for n in "${names[@]}"; do targets+=("$fb/fuzz_$n"); done
log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! make --no-print-directory -j2 FUZZ_OPT="$opt" FUZZ_B="$fb" "${targets[@]}" >"$log" 2>&1; then
  grep -E 'error|Error' "$log" | head -20
  echo "fuzz: build failed"
  echo "fuzz: 0 passed, ${#names[@]} failed"
  exit 1
fi

mkdir -p build/fuzz/crash
pass=0 fail=0 total=0
for n in "${names[@]}"; do
  bin=$fb/fuzz_$n
  mkdir -p "build/fuzz/corpus-$n"
  seeds=(); [ -d "fuzz/corpus/$n" ] && seeds=("fuzz/corpus/$n")
  t0=$SECONDS
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/crash/$n-" "build/fuzz/corpus-$n" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "build/fuzz/corpus-$n" -type f | wc -l)
  if [ "$rc" -eq 0 ] && [ "${execs:-0}" -gt 0 ]; then
    pass=$((pass + 1)) total=$((total + execs))
    echo "ok   fuzz $n: $execs executions in $((SECONDS - t0)) s ($rate/s), $corpus inputs in build/fuzz/corpus-$n"
  else
    fail=$((fail + 1))
    echo "FAIL fuzz $n (exit $rc, ${execs:-0} executions):"
    grep -E 'fuzz_[a-z]+: check failed|runtime error|^SUMMARY|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Test unit written' \
      "$log" | head -8 | sed 's/^/     /'
  fi
done
echo "fuzz: $total executions in all"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
