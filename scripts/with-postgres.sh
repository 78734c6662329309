#!/usr/bin/env bash
# scripts/with-postgres.sh CMD... - run CMD with TEST_DATABASE_URL pointing at a throwaway
# PostgreSQL cluster on 127.0.0.1, stopped and removed afterwards. As root, the server runs as the
# `postgres` system user (initdb refuses root). In CI a missing PostgreSQL is an error.
# Tests run it without fsync (nothing there needs to survive a crash); WITH_POSTGRES_DURABLE=1
# keeps PostgreSQL's durable defaults (the web benchmark, which measures committed inserts).
set -euo pipefail
if [ -n "${TEST_DATABASE_URL:-}" ]; then exec "$@"; fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ]; then
  echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGROOT=$(mktemp -d /tmp/pgtest.XXXXXX)
chmod 755 "$PGROOT"
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$PGROOT"; AS=(runuser -u postgres --); fi
stop() {
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap stop EXIT
"${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
FAST="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${WITH_POSTGRES_DURABLE:-}" = 1 ]; then FAST=""; fi
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 -o \
  "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT $FAST -c max_connections=200" \
  start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres skp_test
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/skp_test"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT"
"$@"
