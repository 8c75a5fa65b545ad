#!/usr/bin/env bash
# bench/me_signins.sh BIN [serve args]: GET /api/v1/me under wrk -t2 -c64 for 10 s with a
# sign-in (POST /api/v1/session, argon2id) about every 0.6 s beside it, on a fresh
# 2,000-pupil demo: requests/s, p50/p90/p99/max of /me, the sign-ins and their mean time.
set -eu
BIN=$1; shift
T=$(mktemp -d); $BIN demo --db sqlite:$T/b.db --pupils 2000 >/dev/null 2>&1
PORT=$((20000 + RANDOM % 20000))
$BIN serve --db sqlite:$T/b.db --listen 127.0.0.1:$PORT "$@" >$T/out 2>$T/err & P=$!
for i in $(seq 50); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$PORT/ && break; sleep 0.1; done
curl -s -o /dev/null -c $T/c -H 'Content-Type: application/json' \
  --data '{"email":"admin@hearth.example","password":"hearth-demo-password"}' http://127.0.0.1:$PORT/api/v1/session
CK=$(awk '$6=="hearth_session"{print $7}' $T/c)
U=http://127.0.0.1:$PORT/api/v1/me
wrk -t2 -c64 -d2s -H "Cookie: hearth_session=$CK" $U >/dev/null
( end=$((SECONDS + 10)); n=0; while [ $SECONDS -lt $end ]; do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
      --data '{"email":"coordinator@hearth.example","password":"hearth-demo-password"}' http://127.0.0.1:$PORT/api/v1/session >> $T/signin; sleep 0.5; done ) & L=$!
wrk -t2 -c64 -d10s --latency -H "Cookie: hearth_session=$CK" $U >$T/wrk
wait $L
echo "$* rps=$(awk '/Requests\/sec/{print $2}' $T/wrk) p50=$(awk '$1=="50%"{print $2}' $T/wrk) p90=$(awk '$1=="90%"{print $2}' $T/wrk) p99=$(awk '$1=="99%"{print $2}' $T/wrk) max=$(awk '/Latency/{print $4}' $T/wrk) signins=$(wc -l < $T/signin) signin_avg=$(awk '{s+=$1} END{printf "%.3f", s/NR}' $T/signin)"
kill -TERM $P; wait $P 2>/dev/null || true; rm -rf $T
