#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 server on loopback and run a command against it.
# Usage: scripts/postgres.sh COMMAND...   (DATABASE_URL is set for COMMAND; the server stops after)
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${DADKHAH_PG_PORT:-54329}
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 is not installed (scripts/system-deps.sh ci installs it)" >&2; exit 1; }

data=$(mktemp -d /tmp/dadkhah-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$data"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

"${as_pg[@]}" "$PGBIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${as_pg[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres dadkhah
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/dadkhah"
"$@"
