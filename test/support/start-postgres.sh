#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster (Debian's packages: apt-get install postgresql) in DIR on a free
# loopback port, and prints its URL; run again on the same DIR, it starts that cluster again on the same
# port. Exit 3: no PostgreSQL on this machine. Stop it with
#   pg_ctl -D DIR stop -m immediate   (the same binaries; as the postgres user when run as root)
# Used by the tests (test/support/postgres.ts) and by .ci/run.
set -euo pipefail
dir="$1"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 3
fi
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user the package created.
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
if [ ! -f "$dir/port" ]; then
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })' >"$dir/port"
  "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1
fi
port="$(cat "$dir/port")"
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
echo "postgres://postgres@127.0.0.1:$port/postgres"
