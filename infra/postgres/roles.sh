#!/bin/sh
# The gateway's read-only roles: on registration's database (REGISTRATION_READ_DATABASE_URL),
# SELECT on workers and timeline only (registration's migration 0007 grants it), and on the
# agencies database (AGENCIES_READ_DATABASE_URL), SELECT on agreements only (the agencies'
# migration 0002 grants it); every session read-only, CONNECT to that one database
# (databases.sh revokes it from everyone else); this script grants too when the tables are there. Runs once when the data
# directory is first made (docker-entrypoint-initdb.d); on a deployment made before the role
# existed, run it once by hand: docker compose exec postgres /docker-entrypoint-initdb.d/roles.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${REGISTRATION_DATABASE:-registration}" \
     -v password="$REGISTRY_READER_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE gateway_registry LOGIN PASSWORD %L', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway_registry') \gexec
ALTER ROLE gateway_registry SET default_transaction_read_only = on;
SELECT format('GRANT CONNECT ON DATABASE %I TO gateway_registry', current_database()) \gexec
SELECT 'GRANT SELECT ON workers, timeline TO gateway_registry'
 WHERE to_regclass('public.workers') IS NOT NULL AND to_regclass('public.timeline') IS NOT NULL
\gexec
SQL
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${AGENCIES_DATABASE:-agencies}" \
     -v password="$AGREEMENTS_READER_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE gateway_agencies LOGIN PASSWORD %L', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway_agencies') \gexec
ALTER ROLE gateway_agencies SET default_transaction_read_only = on;
SELECT format('GRANT CONNECT ON DATABASE %I TO gateway_agencies', current_database()) \gexec
SELECT 'GRANT SELECT ON agreements TO gateway_agencies'
 WHERE to_regclass('public.agreements') IS NOT NULL
\gexec
SQL
# The agencies service looks into the gateway's database before it starts (GATEWAY_CATALOG_URL):
# whether agency tables still wait there for `pmi agency move-tables`. It reads the catalogue
# only, which CONNECT allows; no privilege on any table is granted.
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v gateway="${GATEWAY_DATABASE:-gateway}" <<'SQL'
SELECT format('GRANT CONNECT ON DATABASE %I TO agencies', :'gateway')
 WHERE EXISTS (SELECT FROM pg_database WHERE datname = :'gateway')
   AND EXISTS (SELECT FROM pg_roles WHERE rolname = 'agencies') \gexec
SQL
