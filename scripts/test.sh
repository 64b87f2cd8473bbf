#!/usr/bin/env bash
# Runs every test. Installs what is missing (PostgreSQL, Dovecot, Chromium, docker-compose) from the
# distribution's packages, starts private instances on loopback, runs `dotnet test`, stops them,
# and ends with one line: "N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Browser").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=lib/services.sh
source scripts/lib/services.sh

command -v dotnet >/dev/null 2>&1 || { log "The .NET 10 SDK is needed: https://dotnet.microsoft.com/download"; exit 1; }

ensure_postgres_installed
install_missing dovecot dovecot-imapd chromium chromium docker-compose docker-compose openssl openssl

# shellcheck source=lib/test-services.sh
source scripts/lib/test-services.sh
trap stop_test_services EXIT
# Ctrl-C or a kill ends the script through its EXIT trap, which stops what it started.
trap 'exit 130' INT
trap 'exit 143' TERM
start_test_services
export IMAPEVENTS_TEST_CHROMIUM=/usr/bin/chromium

results="$root/TestResults"
rm -rf "$results"
status=0
dotnet test ImapEvents.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" || status=$?

trx="$results/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  attr() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(attr passed); failed=$(attr failed); total=$(attr total); executed=$(attr executed)
  skipped=$((total - executed))
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "0 passed, 1 failed (dotnet test produced no results; see the output above)"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
