#!/usr/bin/env bash
# Runs a load harness against real services and prints its figures (it asserts nothing):
#   scripts/bench.sh checks [--mailboxes 50 --rounds 5 --parallel 4]   what one mailbox check costs
#   scripts/bench.sh storm  [--events 2000 --parallel 8]               what an event storm costs, and the jobs it queues
#   scripts/bench.sh scale  [--mailboxes 1000 --minutes 4 --failing 40 --concurrency 16]
#                                                                      the published app at scale, minute by minute
# Starts the test services (PostgreSQL, Dovecot) first and stops them afterwards, with whatever the harness started.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  checks | storm | scale) ;;
  *) echo "usage: scripts/bench.sh checks|storm|scale [options]" >&2; exit 2 ;;
esac
# shellcheck source=lib/services.sh
source scripts/lib/services.sh
ensure_postgres_installed
install_missing dovecot dovecot-imapd openssl openssl

# Built before the services start, and run as its own process (not under `dotnet run`) so that a stop reaches it.
# No build servers left behind, as in scripts/run.sh.
log "Building the benchmarks..."
dotnet build benchmarks/ImapEvents.Benchmarks -c Release --nologo -v quiet -nodeReuse:false -p:UseSharedCompilation=false >&2
harness_dll=benchmarks/ImapEvents.Benchmarks/bin/Release/net10.0/ImapEvents.Benchmarks.dll

# shellcheck source=lib/test-services.sh
source scripts/lib/test-services.sh
harness=""
# The harness stops what it started (scale: the app) on SIGTERM; this waits for it, and stops the app itself if the
# harness could not (its pid is in the file the harness writes), before the services go.
stop_all() {
  set +e
  if [ -n "$harness" ] && kill -0 "$harness" 2>/dev/null; then
    kill -TERM "$harness" 2>/dev/null
    for _ in $(seq 1 900); do kill -0 "$harness" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$harness" 2>/dev/null
  fi
  if [ -n "${IMAPEVENTS_BENCH_APP_PIDFILE:-}" ] && [ -f "$IMAPEVENTS_BENCH_APP_PIDFILE" ]; then
    app_pid=$(cat "$IMAPEVENTS_BENCH_APP_PIDFILE")
    # Only if that pid is still the app (or run.sh publishing it), which leads its own process group.
    if grep -qa -e 'run.sh' -e 'artifacts/app' "/proc/$app_pid/cmdline" 2>/dev/null; then
      log "Stopping the app the harness left running (pid $app_pid)..."
      kill -TERM -- "-$app_pid" 2>/dev/null
      for _ in $(seq 1 300); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$app_pid" 2>/dev/null
    fi
  fi
  stop_test_services
}
trap stop_all EXIT
# Ctrl-C or a kill ends the script through its EXIT trap, which stops what it started.
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$1" = scale ]; then
  # PostgreSQL as scripts/run.sh runs it (fsync, synchronous commit), so that commits cost what they cost users.
  start_test_services durable
else
  start_test_services
fi
export IMAPEVENTS_BENCH_APP_PIDFILE="$work/app.pid"
# In the background and waited for: a signal then runs the traps at once instead of after the harness ends.
dotnet "$harness_dll" "$@" &
harness=$!
wait "$harness"
