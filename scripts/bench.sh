#!/usr/bin/env bash
# Runs a load harness against real services and prints its figures (it asserts nothing):
#   scripts/bench.sh checks [--mailboxes 50 --rounds 5 --parallel 4]   what one mailbox check costs
#   scripts/bench.sh storm  [--events 2000 --parallel 8]               what an event storm costs, and the jobs it queues
# Starts the test services (PostgreSQL, Dovecot) first and stops them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  checks | storm) ;;
  *) echo "usage: scripts/bench.sh checks|storm [options]" >&2; exit 2 ;;
esac
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
dotnet run -c Release --project benchmarks/ImapEvents.Benchmarks -- "$@"
