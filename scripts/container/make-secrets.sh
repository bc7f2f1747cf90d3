#!/usr/bin/env bash
# make-secrets.sh — create the secret files deploy/docker-compose.yml expects, with the owner and mode each
# container needs (file-based compose secrets are bind mounts that keep the host file's owner and mode).
#
#   scripts/container/make-secrets.sh --hostname admin.example.org          # into deploy/secrets/
#   scripts/container/make-secrets.sh --out /srv/coderaft/secrets --no-tls  # bring your own certificate
#
# Never overwrites an existing file (losing the master secret makes every encrypted value unreadable):
# delete a file by hand to regenerate it. Run as root (it chowns to the containers' uids).
#
#   file                          owner:group  mode  read by
#   coderaft_master_secret        10001:10001  0400  portal (Encryption__MasterSecretFile)
#   portal_db_pgpass              10001:999    0440  portal (Npgsql Passfile=) and db (first-start role creation)
#   postgres_superuser_password   999:999      0400  db (POSTGRES_PASSWORD_FILE)
#   proxy_tls_key.pem             101:101      0400  proxy (nginx, uid 101)
#   proxy_tls_certificate.pem     101:101      0444  proxy; self-signed unless you put your own there first
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$REPO_ROOT/deploy/secrets"
HOSTNAME_CN="localhost"
TLS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --hostname) HOSTNAME_CN="$2"; shift 2 ;;
    --no-tls) TLS=0; shift ;;
    -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$HOSTNAME_CN" in *[!A-Za-z0-9.-]*|'') echo "--hostname must be a DNS name" >&2; exit 2 ;; esac

[ "$(id -u)" = 0 ] || { echo "run as root: the files are chowned to the containers' uids" >&2; exit 1; }
command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }

mkdir -p "$OUT"
chmod 0700 "$OUT"
if git -C "$OUT" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
   && ! git -C "$OUT" check-ignore -q "$OUT/coderaft_master_secret"; then
  echo "WARNING: $OUT is inside a git work tree and its secret files are NOT ignored by git." >&2
  echo "         Add e.g. 'deploy/secrets/*' and '!deploy/secrets/README.md' to .gitignore before committing." >&2
fi

umask 077
shopt -s lastpipe   # so that `... | write_new` runs in this shell and records what it created
created=()
# write_new FILE OWNER MODE  (content on stdin; never overwrites)
write_new() {
  local f="$OUT/$1"
  if [ -e "$f" ]; then
    echo "kept     $f (exists)" >&2
    cat >/dev/null
  else
    cat > "$f.tmp"
    mv "$f.tmp" "$f"
    created+=("$1")
    echo "created  $f" >&2
  fi
  chown "$2" "$f"
  chmod "$3" "$f"
}

# 48 random bytes, base64 (64 characters, no newline); the portal needs at least 16 characters
openssl rand -base64 48 | tr -d '\n' | write_new coderaft_master_secret 10001:10001 0400
# hex passwords: no ':' or '\' (pgpass syntax), nothing to quote anywhere
printf 'db:5432:coderaft:coderaft:%s\n' "$(openssl rand -hex 32)" | write_new portal_db_pgpass 10001:999 0440
openssl rand -hex 32 | tr -d '\n' | write_new postgres_superuser_password 999:999 0400

if [ "$TLS" = 1 ]; then
  if [ -e "$OUT/proxy_tls_key.pem" ] || [ -e "$OUT/proxy_tls_certificate.pem" ]; then
    echo "kept     $OUT/proxy_tls_{key,certificate}.pem (exist)" >&2
  else
    tmp="$(mktemp -d)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 397 \
      -subj "/CN=$HOSTNAME_CN" -addext "subjectAltName=DNS:$HOSTNAME_CN" \
      -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
    write_new proxy_tls_key.pem 101:101 0400 < "$tmp/key.pem"
    write_new proxy_tls_certificate.pem 101:101 0444 < "$tmp/cert.pem"
    rm -rf "$tmp"
    echo "NOTE: self-signed certificate for $HOSTNAME_CN: replace it with one from your CA for production." >&2
  fi
fi
for f in proxy_tls_key.pem proxy_tls_certificate.pem; do
  [ -e "$OUT/$f" ] || echo "MISSING  $OUT/$f (put your certificate and key there, owner 101)" >&2
done
[ -e "$OUT/proxy_tls_key.pem" ] && chown 101:101 "$OUT/proxy_tls_key.pem" && chmod 0400 "$OUT/proxy_tls_key.pem"
[ -e "$OUT/proxy_tls_certificate.pem" ] && chown 101:101 "$OUT/proxy_tls_certificate.pem" \
  && chmod 0444 "$OUT/proxy_tls_certificate.pem"

echo "secrets in $OUT: ${#created[@]} created" >&2
if printf '%s\n' "${created[@]}" | grep -qx coderaft_master_secret; then
  echo "BACK UP coderaft_master_secret offline now: without it the encrypted data cannot be recovered." >&2
fi
