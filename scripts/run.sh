#!/usr/bin/env bash
# Runs ImapEvents on http://127.0.0.1:5080.
# Without ConnectionStrings__Default it installs PostgreSQL when missing and starts a private,
# durable cluster under .data/ (kept between runs). Ctrl-C stops what this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=lib/services.sh
source scripts/lib/services.sh

command -v dotnet >/dev/null 2>&1 || { log "The .NET 10 SDK is needed: https://dotnet.microsoft.com/download"; exit 1; }

started_pg=""
cleanup() {
  if [ -n "$started_pg" ]; then
    log "Stopping the local PostgreSQL..."
    stop_postgres "$started_pg"
  fi
}
trap cleanup EXIT
# Ctrl-C or a kill ends the script through its EXIT trap, which stops what it started.
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${ConnectionStrings__Default:-}" ]; then
  ensure_postgres_installed
  state="$root/.data"
  mkdir -p "$state"
  data="$state/postgres"
  # postgres runs as its own user; when this checkout is somewhere it cannot reach (root's home),
  # keep the cluster in a folder it can.
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$state"; then
    data="/var/lib/imapevents/$(printf '%s' "$root" | sha1sum | cut -c1-12)/postgres"
    mkdir -p "$(dirname "$data")"
    chmod 755 "$(dirname "$data")"
    log "postgres cannot reach $state; its cluster lives in $data"
  fi

  [ -f "$state/postgres.password" ] || { random_secret >"$state/postgres.password"; chmod 600 "$state/postgres.password"; }
  [ -f "$state/postgres.port" ] || free_port 55432 >"$state/postgres.port"
  password=$(cat "$state/postgres.password")
  port=$(cat "$state/postgres.port")

  if [ -f "$data/postmaster.pid" ] && psql_local "$port" -c "SELECT 1" >/dev/null 2>&1; then
    log "Using the local PostgreSQL already running on 127.0.0.1:$port"
  else
    log "Starting a local PostgreSQL on 127.0.0.1:$port (data in $data)..."
    start_postgres "$data" "$port" "$password" yes
    started_pg="$data"
  fi
  ensure_app_role "$port" imapevents "$password"
  ensure_database "$port" imapevents imapevents
  export ConnectionStrings__Default="Host=127.0.0.1;Port=$port;Database=imapevents;Username=imapevents;Password=$password"
fi

# Log to File actions write under .data/ unless told otherwise.
export Actions__LogDirectory="${Actions__LogDirectory:-$root/.data/action-logs}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5080}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
log "ImapEvents will listen on $ASPNETCORE_URLS"
if [ -z "${Bootstrap__AdminEmail:-}" ]; then
  log "No Bootstrap__AdminEmail/Bootstrap__AdminPassword set: on first start the log shows a one-time setup link."
fi
dotnet run --project ImapEvents.Web -c Release --no-launch-profile
