#!/usr/bin/env bash
# bench/cpu_me.sh BIN [SECONDS]: fresh demo db, serve, sign in, wrk -t2 -c64; CPU µs/request.
set -eu
BIN=$1; D=${2:-8}
T=$(mktemp -d); $BIN demo --db sqlite:$T/b.db >/dev/null 2>&1
PORT=$((20000 + RANDOM % 20000))
$BIN serve --db sqlite:$T/b.db --listen 127.0.0.1:$PORT >$T/out 2>$T/err & P=$!
for i in $(seq 50); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$PORT/ && break; sleep 0.1; done
curl -s -o /dev/null -c $T/c -H 'Content-Type: application/json' \
  --data '{"email":"admin@hearth.example","password":"hearth-demo-password"}' http://127.0.0.1:$PORT/api/v1/session
CK=$(awk '$6=="hearth_session"{print $7}' $T/c)
wrk -t2 -c64 -d1s -H "Cookie: hearth_session=$CK" http://127.0.0.1:$PORT/api/v1/me >/dev/null
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$P/stat)
wrk -t2 -c64 -d${D}s --latency -H "Cookie: hearth_session=$CK" http://127.0.0.1:$PORT/api/v1/me >$T/wrk
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$P/stat)
n=$(awk '/requests in/{print $1}' $T/wrk)
echo "cpu_us/req=$(echo "scale=1; (($u1-$u0)+($s1-$s0))*1000000/$(getconf CLK_TCK)/$n" | bc)"
kill -TERM $P; wait $P || true; $BIN audit verify --db sqlite:$T/b.db; rm -rf $T
