#!/usr/bin/env bash
# postgis-server.sh start DIR | stop DIR
# A throwaway PostgreSQL + PostGIS cluster for tests and benchmarks: data, log and unix socket in DIR,
# no TCP listener, trust authentication for the local role "redline". `start` prints the connection URI.
# Needs Debian postgresql and postgresql-15-postgis-3 (scripts/test.sh installs them). As root, the server
# runs as the "postgres" user, as PostgreSQL refuses to run as root.
set -euo pipefail
action=${1:?usage: postgis-server.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: postgis-server.sh start|stop DIR}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "no PostgreSQL server in /usr/lib/postgresql; apt-get install postgresql postgresql-15-postgis-3" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $action in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U redline --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -c listen_addresses= -c fsync=off -c max_parallel_workers_per_gather=2" start >/dev/null
    as_owner "$bin/createdb" -h "$dir" -U redline redline
    as_owner "$bin/psql" -h "$dir" -U redline -d redline -qc "CREATE EXTENSION postgis" >/dev/null
    echo "postgresql://redline@/redline?host=$dir"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: postgis-server.sh start|stop DIR" >&2; exit 2 ;;
esac
