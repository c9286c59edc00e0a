#!/usr/bin/env bash
# Makes sure RabbitMQ and PostgreSQL answer before the tests or `npm start` run, and that the
# feed databases exist (the feed's, and the example registrar's). Already up: does nothing. Down: starts Debian's servers if they are
# installed, else `docker compose up -d --wait rabbitmq postgres`, else says what to do.
set -euo pipefail

AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
FEED_DATABASES=${FEED_DATABASES:-feed registrar}
export PGHOST PGPORT PGUSER

say() { printf 'services: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port name seconds
  local deadline=$((SECONDS + $4))
  until port_open "$1" "$2"; do
    if ((SECONDS >= deadline)); then say "$3 did not answer on $1:$2 within $4 s"; return 1; fi
    sleep 0.5
  done
}

postgres_up() { port_open "$PGHOST" "$PGPORT"; }
rabbitmq_up() { port_open "$AMQP_HOST" "$AMQP_PORT"; }

start_debian_postgres() {
  command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] || return 1
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  say "starting PostgreSQL $version (pg_ctlcluster)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
}

start_debian_rabbitmq() {
  command -v rabbitmq-server >/dev/null || return 1
  say "starting RabbitMQ (rabbitmq-server -detached)"
  rabbitmq-server -detached
  rabbitmqctl await_startup >/dev/null
}

start_docker() {
  command -v docker >/dev/null && docker info >/dev/null 2>&1 || return 1
  say "starting rabbitmq and postgres with docker compose"
  docker compose up -d --wait rabbitmq postgres
}

explain() {
  cat >&2 <<TXT
services: RabbitMQ ($AMQP_HOST:$AMQP_PORT) or PostgreSQL ($PGHOST:$PGPORT) is not running, and
neither Debian's servers nor a Docker engine are here to start them. Either:
  - install them:  apt-get install -y rabbitmq-server postgresql   (then run this again), or
  - run them with Docker:  docker compose up -d --wait rabbitmq postgres, or
  - point AMQP_URL and DATABASE_URL at servers you have (see .env.example).
TXT
  exit 1
}

if ! postgres_up; then
  start_debian_postgres || start_docker || explain
  wait_port "$PGHOST" "$PGPORT" PostgreSQL 60
fi
if ! rabbitmq_up; then
  start_debian_rabbitmq || start_docker || explain
  wait_port "$AMQP_HOST" "$AMQP_PORT" RabbitMQ 120
fi

for database in $FEED_DATABASES; do
  if command -v psql >/dev/null; then
    if [ "$(psql -d postgres -Atc "select 1 from pg_database where datname = '$database'")" != 1 ]; then
      say "creating database $database"
      psql -d postgres -qc "create database \"$database\""
    fi
  else
    node -e "
      const pg = require('pg');
      const c = new pg.Client({ database: 'postgres' });
      c.connect()
        .then(() => c.query('select 1 from pg_database where datname = \$1', ['$database']))
        .then((r) => (r.rowCount ? null : c.query('create database \"$database\"')))
        .finally(() => c.end());
    "
  fi
done
