#!/bin/sh
# One database per service, each owned by a role of its own (as Kubernetes' database.yaml makes
# them): a service connects as its role, owns its tables and migrations, and cannot connect to
# another service's database (CONNECT is revoked from PUBLIC). The passwords come from .env
# (`make secrets`: DB_PASSWORD_REGISTRATION, ...). Runs once when the data directory is first made
# (docker-entrypoint-initdb.d, before roles.sh); on a deployment made when every database belonged
# to the superuser, run it once by hand: it gives each database, its schema and every table and
# sequence in it to the service's role, and changes nothing that is already so:
#   docker compose exec postgres /docker-entrypoint-initdb.d/databases.sh
set -eu
for name in ${PLATFORM_DATABASES:-registration documents orientation reintegration protection notifications reporting letters agencies gateway}; do
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  eval "password=\${DB_PASSWORD_$upper:-}"
  if [ -z "$password" ]; then
    echo "DB_PASSWORD_$upper is not set: run make secrets, then start again" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'name') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'name') \gexec
SQL
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$name" \
       -v name="$name" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'name') \gexec
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                             WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
              n.nspname, c.relname, :'name')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
   AND pg_get_userbyid(c.relowner) <> :'name'
   AND NOT (c.relkind = 'S' AND EXISTS (
         SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) \gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'name')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> :'name' \gexec
SQL
done
