#!/usr/bin/env bash
# Measures what an event storm costs ImapEvents: starts the test services (PostgreSQL, Dovecot),
# dispatches many events through the real rules and prints events per second, CPU per event and the jobs queued.
# Extra arguments go to the harness (for example: --events 5000 --parallel 8).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/services.sh
source scripts/lib/services.sh
ensure_postgres_installed
install_missing dovecot dovecot-imapd openssl openssl
# shellcheck source=lib/test-services.sh
source scripts/lib/test-services.sh
trap stop_test_services EXIT
# Ctrl-C or a kill ends the script through its EXIT trap, which stops what it started.
trap 'exit 130' INT
trap 'exit 143' TERM
start_test_services
dotnet run -c Release --project benchmarks/ImapEvents.Benchmarks -- storm "$@"
