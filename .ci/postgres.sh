#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL server on 127.0.0.1 for the
# @pytest.mark.postgres tests, create a role and a database, and print the URL.
#
# Usage:   eval "$(.ci/postgres.sh)"      # exports FAIRAUDIT_PG_URL
# Env:     PG_USER / PG_PASSWORD / PG_DB / PG_PORT to override the defaults.
# Needs root (apt-get, su postgres). Idempotent: re-running reuses the cluster.
set -euo pipefail

PG_USER=${PG_USER:-fairaudit}
PG_PASSWORD=${PG_PASSWORD:-fairaudit}
PG_DB=${PG_DB:-fairaudit}
PG_PORT=${PG_PORT:-5432}

log() { echo "postgres.sh: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

# newest installed major version
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

if command -v pg_ctlcluster >/dev/null 2>&1; then
    # Debian wrapper: the package normally creates cluster "main"; create it if not.
    if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
        log "creating cluster $PG_VERSION/main"
        pg_createcluster "$PG_VERSION" main -p "$PG_PORT" >&2
    fi
    if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
        log "starting cluster $PG_VERSION/main"
        # loopback only; pg_ctlcluster runs the server as the postgres user
        pg_ctlcluster "$PG_VERSION" main start -o "-c listen_addresses=127.0.0.1 -p $PG_PORT" >&2
    fi
else
    # Plain pg_ctl fallback (no postgresql-common)
    DATA=/var/lib/postgresql/fairaudit-data
    if [ ! -s "$DATA/PG_VERSION" ]; then
        install -d -o postgres -g postgres "$DATA"
        su postgres -c "$PG_BIN/initdb -D $DATA --auth-local=peer --auth-host=scram-sha-256" >&2
    fi
    su postgres -c "$PG_BIN/pg_ctl -D $DATA -l $DATA/server.log -o '-c listen_addresses=127.0.0.1 -p $PG_PORT' -w start" >&2 || true
fi

# wait until it accepts connections
for _ in $(seq 1 30); do
    if su postgres -c "psql -p $PG_PORT -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
    sleep 1
done
su postgres -c "psql -p $PG_PORT -qAtc 'select 1'" >/dev/null

psql_admin() { su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -qAt" ; }

if ! echo "select 1 from pg_roles where rolname='$PG_USER'" | psql_admin | grep -q 1; then
    log "creating role $PG_USER"
    echo "create role \"$PG_USER\" login password '$PG_PASSWORD'" | psql_admin
else
    echo "alter role \"$PG_USER\" login password '$PG_PASSWORD'" | psql_admin
fi
if ! echo "select 1 from pg_database where datname='$PG_DB'" | psql_admin | grep -q 1; then
    log "creating database $PG_DB"
    echo "create database \"$PG_DB\" owner \"$PG_USER\"" | psql_admin
fi

URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
# check the password login over TCP works (Debian's default pg_hba allows scram on 127.0.0.1)
PGPASSWORD=$PG_PASSWORD psql "$URL" -qAtc 'select 1' >/dev/null
log "ready: $URL"
echo "export FAIRAUDIT_PG_URL=$URL"
