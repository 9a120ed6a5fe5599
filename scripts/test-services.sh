#!/usr/bin/env bash
# Install (when missing) and start what the tests need: PostgreSQL 15, Redis and Chromium,
# each on a loopback port of its own. Writes the connection settings to .cache/test.env.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${LOOM_TEST_STATE:-/tmp/loom-portal-test}"
PG_PORT="${LOOM_TEST_PG_PORT:-54329}"
REDIS_PORT="${LOOM_TEST_REDIS_PORT:-63799}"
PG_BIN=/usr/lib/postgresql/15/bin

log() { echo "[test-services] $*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "[test-services] need root (or sudo) to install: $*" >&2; exit 1; fi
}

missing=()
[ -x "$PG_BIN/pg_ctl" ] || missing+=(postgresql-15 postgresql-contrib-15)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$STATE"
chmod 755 "$STATE"

# --- PostgreSQL 15: its own data folder, run as the postgres user when we are root ------
PGDATA="$STATE/pg15"
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising PostgreSQL 15 in $PGDATA"
    mkdir -p "$PGDATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA"
    run_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "starting PostgreSQL 15 on 127.0.0.1:$PG_PORT"
  # shared_buffers as a small production server has it (Azure Flexible Server: a quarter of its memory), so
  # the benchmarks' 100,000 products are read from PostgreSQL's cache, not PostgreSQL's 128 MB default.
  run_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB" start >/dev/null
fi
psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "select 1 from pg_roles where rolname='loom'")" != "1" ]; then
  psql_admin -c "create role loom login superuser password 'loom'"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname='loom'")" != "1" ]; then
  psql_admin -c "create database loom owner loom"
fi

# --- Redis ------------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir "$STATE" --logfile "$STATE/redis.log" --pidfile "$STATE/redis.pid"
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# --- npm test tools (Cosmos DB emulator, Azurite, tsc), pinned by tests/npm/package-lock.json ---
NPM_DIR="$ROOT/tests/npm"
if [ ! -f "$NPM_DIR/node_modules/.package-lock.json" ] || [ "$NPM_DIR/package-lock.json" -nt "$NPM_DIR/node_modules/.package-lock.json" ]; then
  log "installing npm test tools into tests/npm/node_modules"
  (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

mkdir -p "$ROOT/.cache"
cat > "$ROOT/.cache/test.env" <<ENV
DATABASE_URL=postgres://loom:loom@127.0.0.1:$PG_PORT/loom
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
LOOM_TEST_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/1
LOOM_CHROMIUM=/usr/bin/chromium
LOOM_NODE_BIN=$NPM_DIR/node_modules/.bin
ENV
log "ready: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, Chromium $(/usr/bin/chromium --version 2>/dev/null | head -1)"
