#!/usr/bin/env bash
# tests/run-valgrind.sh [unit] [http] — the unit tests and the HTTP cases
# under valgrind's memcheck (make valgrind; both parts by default).
#
#   unit  every build/tests/test_* binary under valgrind;
#   http  build/httptest runs every HTTP case and the route-table test (or,
#         with VALGRIND_HTTP_FILTER=SUBSTR, only the cases whose names hold
#         it, e.g. "login") against a `hearth` that is a wrapper running
#         hearth under valgrind, so every process the runner starts — demo,
#         serve, audit verify … — is checked.  The hearth run is a copy of
#         build/hearth (or VALGRIND_HEARTH) taken at the start, so a rebuild
#         during the long run does not change the program under test.  The
#         demo is seeded with HEARTH_DEMO_PUPILS (default 2000, as in tests/run-all.sh: the cases are written against that city).
#         The runner's time limits are multiplied by HTTPTEST_SLOW (20);
#         VALGRIND_HTTPTEST names another runner binary (build/httptest).
#
# Memcheck runs with --leak-check=full --errors-for-leak-kinds=definite,indirect
# --error-exitcode=99 and the suppressions in tests/valgrind.supp (library
# noise only, each with the reason): an invalid read or write, a use of
# uninitialised memory, a bad free, or memory definitely or indirectly lost
# at exit is a failure ("still reachable" and "possibly lost" are reported,
# not failed).
# Each unit binary counts one check: memcheck is clean and it neither
# crashed nor hung (15 minutes).  A test that fails only under valgrind (a
# time limit) is shown, not counted — the unit layer judges behaviour,
# this one memory — and then only errors other than leaks count (its failed
# assertion skipped its cleanup).  The HTTP part counts the runner's checks plus one per hearth
# process (its valgrind log is clean).  Logs go to build/valgrind/.  Each
# part prints the wall and CPU time it took; the whole run ends with exactly
# one line "valgrind: N passed, N failed"; exit 1 on failure.
#
# It is slow (on demand, not in make test): measured on the shared 2-core
# machine, see README "Reliability".
set -u
cd "$(dirname "$0")/.."
parts=${*:-unit http}
out=build/valgrind
mkdir -p "$out"
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
    --error-exitcode=99 --num-callers=30 --track-fds=no
    --suppressions=$PWD/tests/valgrind.supp)
passed=0 failed=0 t0=$SECONDS

# Print the first errors of a valgrind log (a failure's evidence).
show_log() {
  grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall|Source and|[0-9,]+ (\([^)]*\) )?bytes in .* (definitely|indirectly))' -A12 "$1" \
    | head -40 | sed 's/^/     /'
}

# A log is clean when memcheck finished with 0 errors.
log_clean() {
  grep -q 'ERROR SUMMARY: 0 errors' "$1"
}

run_unit() {
  local t name rc p f t1
  rm -rf "$out/unit" && mkdir -p "$out/unit"
  for t in build/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    t1=$SECONDS
    timeout 900 "${VG[@]}" --log-file="$out/unit/$name.log" "$t" >"$out/unit/$name.out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/unit/$name.out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/unit/$name.out" | tail -1)
    local log=$out/unit/$name.log nonleak
    nonleak=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall|Source and)' "$log")
    if [ "$rc" -eq 0 ] && log_clean "$log"; then
      echo "ok   valgrind $name (${p:-0} tests, $((SECONDS - t1)) s)"
      passed=$((passed + 1))
    elif [ "$rc" -lt 124 ] && [ "$nonleak" -eq 0 ] && [ "${f:-0}" -gt 0 ]; then
      # A test failed only under valgrind (a time limit): its failed
      # assertion skipped its cleanup, so its leaks say nothing.
      echo "ok   valgrind $name (no memory errors, $((SECONDS - t1)) s; ${f} test(s) failed under" \
           "valgrind, left to the unit layer: $(grep -m1 -E '^\[  ERROR   \]' "$out/unit/$name.out" | cut -c18-70))"
      passed=$((passed + 1))
    else
      echo "FAIL valgrind $name (exit $rc, ${p:-0} passed, ${f:-0} failed)"
      [ "$rc" -eq 99 ] || grep -E '^\[  (FAILED|ERROR)' "$out/unit/$name.out" | head -5 | sed 's/^/     /'
      show_log "$log"
      failed=$((failed + 1))
    fi
  done
}

# The wrapper the HTTP runner takes for hearth.  `serve` runs in the
# background with SIGTERM passed on, and the wrapper returns at once (the
# runner waits only 5 s for a server to stop; valgrind's leak check may take
# longer): the check below waits for every valgrind to finish its log.
write_wrapper() {
  local w=$out/hearth
  cat >"$w" <<EOF
#!/usr/bin/env bash
vg=(${VG[*]} --log-file=$PWD/$out/http/hearth.%p.log)
if [ "\${1:-}" = serve ]; then
  "\${vg[@]}" $PWD/$out/hearth.bin "\$@" --threads 4 &
  child=\$!
  echo \$child >>$PWD/$out/http/pids
  trap 'kill -TERM \$child 2>/dev/null; exit 0' TERM INT
  wait \$child
  exit \$?
fi
exec "\${vg[@]}" $PWD/$out/hearth.bin "\$@"
EOF
  chmod +x "$w"
}

run_http() {
  rm -rf "$out/http" && mkdir -p "$out/http"
  rm -f "$out/hearth.bin"  # a new file: servers of an earlier run may still be using the old one
  cp "${VALGRIND_HEARTH:-build/hearth}" "$out/hearth.bin" || { failed=$((failed + 1)); return; }
  write_wrapper
  local filter=()
  local f=${VALGRIND_HTTP_FILTER-}
  [ -n "$f" ] && filter=(--filter "$f")
  : >"$out/http/pids"
  # The runner's time limits (server start 10 s, a request 60 s …) times
  # HTTPTEST_SLOW: the program runs 20-50 times slower under valgrind.
  # The runner's database and logs go under build/valgrind/tmp, not /tmp:
  # the run takes hours, and a clean-up of old /tmp/hearth-http-* there
  # (seen on the shared machine) would pull the database from under it.
  rm -rf "$out/tmp" && mkdir -p "$out/tmp"
  TMPDIR=$PWD/$out/tmp HTTPTEST_SLOW=${HTTPTEST_SLOW:-20} HEARTH_DEMO_PUPILS=${HEARTH_DEMO_PUPILS:-2000} \
    "${VALGRIND_HTTPTEST:-build/httptest}" --hearth "$out/hearth" \
    --cases tests/http/cases "${filter[@]}" >"$out/http/httptest.out" 2>&1
  local rc=$? line p f
  line=$(grep -E '^http: [0-9]+ passed, [0-9]+ failed' "$out/http/httptest.out" | tail -1)
  p=$(sed -E 's/^http: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")
  [ -n "$line" ] || { p=0; f=1; }
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  grep '^FAIL' "$out/http/httptest.out" | head -20 | cut -c1-300
  echo "$( [ "$f" -eq 0 ] && echo ok || echo FAIL ) valgrind httptest: $p passed, $f failed"
  passed=$((passed + p)) failed=$((failed + f))
  # Servers the runner asked to stop are still checking for leaks: wait
  # (up to 5 minutes) for each, then stop any left over (by its pid).
  local pid i
  for pid in $(cat "$out/http/pids"); do
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && { echo "FAIL valgrind: server $pid still running"; kill -KILL "$pid"; failed=$((failed + 1)); }
  done
  local log
  for log in "$out"/http/hearth.*.log; do
    [ -e "$log" ] || continue
    local cmd; cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$log" | head -1 | cut -c1-80)
    if log_clean "$log"; then
      passed=$((passed + 1))
    else
      echo "FAIL valgrind ${log##*/}: $cmd"
      show_log "$log"
      failed=$((failed + 1))
    fi
  done
  echo "valgrind: $(ls "$out"/http/hearth.*.log 2>/dev/null | wc -l) hearth processes checked"
}

# cpu_now: CPU seconds (user + system) of the finished children so far, in
# $cpu — called directly, not in $(…): a subshell has no children of its
# own.  Servers the HTTP part left to finish in the background are not
# among them.
cpu_now() {
  times >"$out/times"
  cpu=$(tail -1 "$out/times" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%d", n }')
}
for part in $parts; do
  w0=$SECONDS; cpu_now; c0=$cpu
  case $part in
    unit) run_unit ;;
    http) run_http ;;
    *) echo "unknown part $part"; failed=$((failed + 1)) ;;
  esac
  cpu_now
  echo "valgrind: $part took $((SECONDS - w0)) s wall, $((cpu - c0)) s CPU"
done
cpu_now
echo "valgrind: took $((SECONDS - t0)) s wall, $cpu s CPU (servers not counted)"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
