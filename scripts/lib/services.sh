# Shared by scripts/run.sh and scripts/test.sh: install and start local services on loopback.
# shellcheck shell=bash

log() { printf '[imapevents] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "Missing $* and there is no apt-get here: install them with your package manager, then run this again."
    return 1
  fi
  log "Installing $* from the distribution's packages..."
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  # The packages' own service start may be blocked (no init system); we start private instances ourselves.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# install_missing COMMAND PACKAGE [COMMAND PACKAGE ...]: installs the packages whose command is missing, in one go.
install_missing() {
  local missing=()
  while [ $# -gt 1 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

ensure_postgres_installed() {
  if [ -z "$(pg_bindir)" ] || ! command -v psql >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
  fi
  [ -n "$(pg_bindir)" ] || { log "PostgreSQL's server binaries were not found after installing."; return 1; }
}

# free_port START: the first port from START upward that nothing listens on.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# Run a PostgreSQL command as the cluster owner: postgres refuses to run as root.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres DATA_DIR PORT PASSWORD DURABLE(yes|no): starts (creating when new) a private cluster on 127.0.0.1.
start_postgres() {
  local data=$1 port=$2 password=$3 durable=$4 bin
  bin=$(pg_bindir)
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    local pwfile
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data" "$pwfile"; fi
    chmod 700 "$data"
    pg_as_owner "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  local options="-c listen_addresses=127.0.0.1 -p $port -k /tmp"
  if [ "$durable" = "no" ]; then
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$data/postgres.log" -w -t 30 -o "$options" start >/dev/null
}

# start_postgres_on_free_port DATA_DIR FIRST_PORT PASSWORD DURABLE: like start_postgres on the first free
# port from FIRST_PORT, and on another one when a process starting at the same moment takes that port
# first ("could not bind"). Sets POSTGRES_PORT to the port it listens on.
start_postgres_on_free_port() {
  local data=$1 port=$2 password=$3 durable=$4 attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port "$port")
    if start_postgres "$data" "$port" "$password" "$durable"; then
      POSTGRES_PORT=$port
      return 0
    fi
    # Only a lost port is worth another try; anything else is reported as it is.
    if ! tail -n 20 "$data/postgres.log" 2>/dev/null | grep -q 'could not bind\|Address already in use'; then
      log "PostgreSQL did not start; the end of $data/postgres.log:"
      tail -n 20 "$data/postgres.log" >&2 2>/dev/null || true
      return 1
    fi
    log "Port $port was taken while PostgreSQL started (attempt $attempt); trying another."
    port=$((port + 1))
  done
  log "PostgreSQL found no free port after 5 attempts."
  return 1
}

stop_postgres() {
  local data=$1
  [ -f "$data/postmaster.pid" ] || return 0
  pg_as_owner "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# psql_local PORT SQL...: runs SQL as the postgres superuser over the cluster's local socket.
psql_local() {
  local port=$1
  shift
  pg_as_owner psql -h /tmp -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# ensure_app_role PORT ROLE PASSWORD: a login role that may create databases (tests make one per class).
ensure_app_role() {
  local port=$1 role=$2 password=$3
  if [ "$(psql_local "$port" -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != "1" ]; then
    psql_local "$port" -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password'"
  fi
}

ensure_database() {
  local port=$1 database=$2 owner=$3
  if [ "$(psql_local "$port" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
    psql_local "$port" -c "CREATE DATABASE $database OWNER $owner"
  fi
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
