#!/usr/bin/env bash
# Runs ImapEvents on http://127.0.0.1:5080 (ASPNETCORE_URLS to change it), in Production.
# Without ConnectionStrings__Default it installs PostgreSQL when missing and starts a private,
# durable cluster under .data/ (kept between runs, and left running when the app stops so a restart
# is quick; `scripts/run.sh stop` stops it).
#
# The app is published (artifacts/app) and then exec'd. Production serves the UI's static files
# (Blazor's framework scripts, MudBlazor's CSS and JS) from the manifest that publishing writes;
# `dotnet run` has no such output, so in Production every stylesheet and script answered 500. Exec
# makes the app this process: signals reach it directly, and no `dotnet run` parent stays resident.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=lib/services.sh
source scripts/lib/services.sh

command -v dotnet >/dev/null 2>&1 || { log "The .NET 10 SDK is needed: https://dotnet.microsoft.com/download"; exit 1; }

state="$root/.data"
# postgres runs as its own user; when this checkout is somewhere it cannot reach (root's home),
# its cluster lives in a folder it can.
cluster_dir() {
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$state"; then
    echo "/var/lib/imapevents/$(printf '%s' "$root" | sha1sum | cut -c1-12)/postgres"
  else
    echo "$state/postgres"
  fi
}

if [ "${1:-}" = "stop" ]; then
  data=$(cluster_dir)
  if [ -f "$data/postmaster.pid" ]; then
    log "Stopping the local PostgreSQL in $data..."
    stop_postgres "$data"
  else
    log "The local PostgreSQL is not running."
  fi
  exit 0
fi

if [ -z "${ConnectionStrings__Default:-}" ]; then
  ensure_postgres_installed
  mkdir -p "$state"
  data=$(cluster_dir)
  if [ "$data" != "$state/postgres" ]; then
    mkdir -p "$(dirname "$data")"
    chmod 755 "$(dirname "$data")"
    log "postgres cannot reach $state; its cluster lives in $data"
  fi

  [ -f "$state/postgres.password" ] || { random_secret >"$state/postgres.password"; chmod 600 "$state/postgres.password"; }
  password=$(cat "$state/postgres.password")
  port=$(cat "$state/postgres.port" 2>/dev/null || echo 55432)

  if [ -f "$data/postmaster.pid" ] && psql_local "$port" -c "SELECT 1" >/dev/null 2>&1; then
    log "Using the local PostgreSQL already running on 127.0.0.1:$port"
  else
    log "Starting a local PostgreSQL (data in $data)..."
    start_postgres_on_free_port "$data" "$port" "$password" yes
    port=$POSTGRES_PORT
    echo "$port" >"$state/postgres.port"
    log "PostgreSQL listens on 127.0.0.1:$port; it keeps running when the app stops (scripts/run.sh stop)."
  fi
  ensure_app_role "$port" imapevents "$password"
  ensure_database "$port" imapevents imapevents
  export ConnectionStrings__Default="Host=127.0.0.1;Port=$port;Database=imapevents;Username=imapevents;Password=$password"
fi

# The key ring (which encrypts stored passwords and secrets) is protected by a certificate kept out of
# the database: made on first start, under .data/ (back it up, apart from the database's backups).
if [ -z "${DataProtection__CertificatePath:-}" ]; then
  mkdir -p "$state"
  if [ ! -f "$state/key-ring-certificate.pem" ]; then
    install_missing openssl openssl
    log "Creating the key ring's certificate in $state/key-ring-certificate.pem (keep a copy of it: see the README's Security section)"
    bash scripts/new-key-certificate.sh "$state/key-ring-certificate.pem" >&2
  fi
  export DataProtection__CertificatePath="$state/key-ring-certificate.pem"
fi

# Only the host names it is reached by: a forged Host header is refused, never reflected in a redirect.
# App__PublicUrl's host is added by the app. Listening on every interface, the machine's names and
# addresses count. Set AllowedHosts (names separated by ;) to choose them yourself.
if [ -z "${AllowedHosts:-}" ]; then
  hosts="localhost;127.0.0.1;[::1]"
  urls=${ASPNETCORE_URLS:-http://127.0.0.1:5080}
  for url in ${urls//;/ }; do
    host=$(printf '%s' "$url" | sed -E 's#^[a-z]+://##; s#(:[0-9]+)?/?$##')
    case "$host" in
      0.0.0.0|"[::]"|"*"|+)
        hosts="$hosts;$(hostname);$(hostname -f 2>/dev/null || hostname)"
        for address in $(hostname -I 2>/dev/null); do
          case "$address" in *:*) hosts="$hosts;[$address]" ;; *) hosts="$hosts;$address" ;; esac
        done ;;
      *) hosts="$hosts;$host" ;;
    esac
  done
  export AllowedHosts="$hosts"
fi

# Log to File actions write under .data/ unless told otherwise.
export Actions__LogDirectory="${Actions__LogDirectory:-$root/.data/action-logs}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5080}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Production}"
log "ImapEvents will listen on $ASPNETCORE_URLS"
if [ -z "${Bootstrap__AdminEmail:-}" ]; then
  log "No Bootstrap__AdminEmail/Bootstrap__AdminPassword set: on first start the log shows a one-time setup link."
fi

app="$root/artifacts/app"
stamp="$app/.published"
# Publishing again when nothing changed still costs seconds of MSBuild; like make, compare times.
changed=yes
if [ -f "$stamp" ] && [ -z "$(find ImapEvents.Core ImapEvents.Infrastructure ImapEvents.Web Directory.Build.props \
  Directory.Packages.props global.json -newer "$stamp" -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]; then
  changed=no
fi
if [ "$changed" = yes ]; then
  log "Publishing the app to $app..."
  rm -f "$stamp"
  # No build servers left behind: a run script publishes once, and resident MSBuild and compiler
  # servers would cost more memory than the app itself.
  dotnet publish ImapEvents.Web/ImapEvents.Web.csproj -c Release -o "$app" --nologo -v quiet \
    -nodeReuse:false -p:UseSharedCompilation=false >&2
  touch "$stamp"
fi
cd "$app"
# The full path names this checkout's app in the process list (pkill -f "$PWD/artifacts/app" stops it).
exec dotnet "$app/ImapEvents.Web.dll"

