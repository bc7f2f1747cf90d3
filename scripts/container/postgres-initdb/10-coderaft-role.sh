#!/usr/bin/env bash
# Mounted into the postgres:15 container at /docker-entrypoint-initdb.d/ by deploy/docker-compose.yml.
# The image's entrypoint runs it ONCE, on the first start with an empty data volume, as the postgres user.
#
# Creates the portal's own login role and database from the portal_db_pgpass secret (the same file the portal
# reads through Npgsql's Passfile=), so the password exists in exactly one place. The role is NOT a superuser:
# a superuser could COPY ... TO PROGRAM (a shell in the db container) and bypass the audit-log triggers and
# privileges; the portal owns only its own database, where it applies its migrations.
#
# The pgpass line must be   host:port:database:user:password   with database/user in [a-z0-9_] and a
# password without ':' or '\' (scripts/container/make-secrets.sh generates one like that).
# Written so that it also works when the entrypoint sources it instead of executing it (no `set -u`).

pgpass_file="${CODERAFT_DB_PGPASS_FILE:-/run/secrets/portal_db_pgpass}"
if [ ! -r "$pgpass_file" ]; then
  echo "coderaft-initdb: $pgpass_file is missing or not readable by uid $(id -u)" >&2
  exit 1
fi
IFS=: read -r _pg_host _pg_port app_db app_user app_pw < "$pgpass_file" || true
case "$app_db" in ''|*[!a-z0-9_]*) echo "coderaft-initdb: database name must match [a-z0-9_]+" >&2; exit 1;; esac
case "$app_user" in ''|*[!a-z0-9_]*) echo "coderaft-initdb: user name must match [a-z0-9_]+" >&2; exit 1;; esac
case "$app_pw" in ''|*'\'*) echo "coderaft-initdb: empty password or one with a backslash" >&2; exit 1;; esac
if [ "${#app_pw}" -lt 20 ]; then
  echo "coderaft-initdb: the portal database password is shorter than 20 characters" >&2
  exit 1
fi

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     --set=app_db="$app_db" --set=app_user="$app_user" --set=app_pw="$app_pw" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_pw';
CREATE DATABASE :"app_db" OWNER :"app_user";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
SQL
echo "coderaft-initdb: role '$app_user' (no superuser) and database '$app_db' created"
unset app_pw _pg_host _pg_port
