#!/usr/bin/env bash
# scripts/deps.sh — install what Hearth needs to build, run and test.
#
# The one place dependencies are installed: Debian packages through apt-get,
# front-end and browser-test packages through npm (pinned by package-lock.json).
# Idempotent and quiet when everything is present, so `make run` and
# `make test` call it every time.
#
#   scripts/deps.sh            build + run + test dependencies
#   scripts/deps.sh bench      also the benchmark tools (wrk, nginx)
#   scripts/deps.sh soak       also wrk (make soak)
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential pkg-config
      libmicrohttpd-dev libsqlite3-dev sqlite3 libpq-dev libssl-dev postgresql libjansson-dev libsodium-dev libargon2-dev
      libxml2-dev libxlsxwriter-dev clang libclang-rt-14-dev
      liboath-dev libqrencode-dev libcmocka-dev libcurl4-openssl-dev python3-icalendar
      chromium fonts-liberation)
# Node.js may come from elsewhere than Debian (it does on our machines):
# only install Debian's when there is no node/npm at all.
command -v node >/dev/null && command -v npm >/dev/null || debs+=(nodejs npm)
case ${1:-} in
bench) debs+=(wrk nginx-light time) ;;
soak) debs+=(wrk) ;;
esac

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: GOV.UK Frontend (styles, fonts, icons) and the browser tests.
if [ ! -d node_modules/govuk-frontend ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "deps: npm ci"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error
  else npm install --no-audit --no-fund --loglevel=error; fi
fi
