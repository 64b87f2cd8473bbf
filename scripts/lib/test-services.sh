# Starts the services the tests (and the check benchmark) use: a throwaway PostgreSQL and a Dovecot
# of our own on loopback ports, and exports IMAPEVENTS_TEST_* for them. Needs lib/services.sh.
# shellcheck shell=bash

stop_test_services() {
  set +e
  [ -n "${work:-}" ] || return 0
  if [ -f "$dovecot_dir/run/master.pid" ]; then
    dovecot_master=$(cat "$dovecot_dir/run/master.pid")
    as_root kill "$dovecot_master" 2>/dev/null
    for _ in $(seq 1 50); do as_root kill -0 "$dovecot_master" 2>/dev/null || break; sleep 0.1; done
  fi
  stop_postgres "$pg_data"
  as_root rm -rf "$work"
}

# Sets work, pg_data and dovecot_dir (used by stop_test_services); call stop_test_services on exit.
# start_test_services [durable]: "durable" keeps PostgreSQL's fsync and synchronous commit on, as
# scripts/run.sh runs it, for measurements where commits cost what they cost users.
start_test_services() {
  local durable=no
  if [ "${1:-}" = durable ]; then durable=yes; fi
  work=$(mktemp -d /tmp/imapevents-test.XXXXXX)
  chmod 755 "$work"
  pg_data="$work/postgres"
  dovecot_dir="$work/dovecot"

  # PostgreSQL: a throwaway cluster, without fsync unless asked; tests create one database per test class.
  pg_password=$(random_secret)
  log "Starting PostgreSQL on 127.0.0.1..."
  start_postgres_on_free_port "$pg_data" 55433 "$pg_password" "$durable"
  pg_port=$POSTGRES_PORT
  log "PostgreSQL listens on 127.0.0.1:$pg_port"
  ensure_app_role "$pg_port" imapevents "$pg_password"
  export IMAPEVENTS_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Database=postgres;Username=imapevents;Password=$pg_password"

  # Dovecot: our own configuration, nothing from /etc/dovecot.
  imap_port=$(free_port 10143)
  imaps_port=$(free_port $((imap_port + 1)))
  mkdir -p "$dovecot_dir/mail"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$dovecot_dir/key.pem" -out "$dovecot_dir/cert.pem" \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
  : >"$dovecot_dir/users"
  for user in alice bob carol dave erin; do printf '%s:{PLAIN}%s-pass\n' "$user" "$user" >>"$dovecot_dir/users"; done
  sed -e "s#@DIR@#$dovecot_dir#g" -e "s#@IMAP_PORT@#$imap_port#g" -e "s#@IMAPS_PORT@#$imaps_port#g" \
    scripts/lib/dovecot.conf.template >"$dovecot_dir/dovecot.conf"
  as_root chown -R nobody:nogroup "$dovecot_dir/mail"
  chmod 644 "$dovecot_dir/users"
  rm -rf "$dovecot_dir/run"
  log "Starting Dovecot on 127.0.0.1:$imap_port (IMAP) and :$imaps_port (IMAPS)..."
  # Daemonised (not -F), so it holds none of this script's output open; stopped through its master.pid.
  as_root dovecot -c "$dovecot_dir/dovecot.conf"
  dovecot_ready=no
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$imap_port" && timeout 2 head -c 4 <&3 | grep -q '\* OK') 2>/dev/null; then
      dovecot_ready=yes; break
    fi
    sleep 0.1
  done
  # The IMAP tests fail with the reason if it is not up; show Dovecot's own words here.
  [ "$dovecot_ready" = yes ] || { log "Dovecot did not greet within 10 s:"; tail -n 20 "$dovecot_dir/dovecot.log" >&2 || true; }
  export IMAPEVENTS_TEST_IMAP_HOST=127.0.0.1
  export IMAPEVENTS_TEST_IMAP_PORT=$imap_port
  export IMAPEVENTS_TEST_IMAPS_PORT=$imaps_port
  export IMAPEVENTS_TEST_IMAP_USERS_FILE="$dovecot_dir/users"
  export IMAPEVENTS_TEST_IMAP_CERT="$dovecot_dir/cert.pem"
}
