#!/usr/bin/env bash
# Makes the certificate that protects ImapEvents' key ring at rest: a PEM file holding a self-signed
# RSA certificate and its private key, readable only by its owner. Point DataProtection__CertificatePath
# at it. Keep it (and a copy of it) outside the database and its backups: without it the stored
# passwords and secrets cannot be read, and with a database backup it reads them all.
#   scripts/new-key-certificate.sh PATH
set -euo pipefail
target=${1:?usage: scripts/new-key-certificate.sh PATH}
if [ -e "$target" ]; then
  echo "$target already exists; a new certificate would make the keys protected by it unreadable. Nothing done." >&2
  exit 1
fi
command -v openssl >/dev/null 2>&1 || { echo "openssl is needed (apt-get install openssl)." >&2; exit 1; }

mkdir -p "$(dirname "$target")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The certificate only wraps keys (XML encryption); its dates are not checked, so it never "expires".
openssl req -x509 -newkey rsa:3072 -sha256 -days 36500 -nodes -subj "/CN=ImapEvents key ring" \
  -keyout "$work/key.pem" -out "$work/certificate.pem" 2>/dev/null
(umask 077 && cat "$work/certificate.pem" "$work/key.pem" >"$target.tmp")
mv "$target.tmp" "$target"
echo "Created $target ($(openssl x509 -in "$target" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :))"
