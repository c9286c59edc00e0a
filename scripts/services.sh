#!/usr/bin/env bash
# Makes sure RabbitMQ and PostgreSQL answer where AMQP_URL and DATABASE_URL point (defaults:
# this machine), before `npm start`, `npm test` or `npm run bench`, and that the feed's and the
# example registrar's databases exist. For each server that does not answer, in this order:
#
#   1. Debian's package is installed: start it as it is (never reconfigured).
#   2. Not installed, and this machine can install (root or passwordless sudo, apt-get):
#      install it with scripts/debian-packages.sh, configure what the feed needs (only on a
#      server installed here and now), start it.
#   3. Docker: docker compose up -d --wait for that server.
#   4. Otherwise: say what to do, exit 1.
#
# A server that answers is never touched, so a second run does nothing. A server that is
# running but cannot serve the feed (another port, a refused login) is left as it is, and the
# script says why. `--dry-run` prints what it would do and changes nothing.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

dry_run=false
case ${1-} in
  '') ;;
  --dry-run) dry_run=true ;;
  *) printf 'usage: scripts/services.sh [--dry-run]\n' >&2 && exit 2 ;;
esac

say() { printf 'services: %s\n' "$*" >&2; }
fail() { say "$*" && exit 1; }
# Every command that changes the machine goes through `run`: a dry run prints it instead.
run() {
  local shown="$*"
  if $dry_run; then say "would run: ${shown#detached }"; else "$@"; fi
}
# What is being done, in words; a dry run marks it as not done.
step() { if $dry_run; then say "[dry run] $*"; else say "$*"; fi; }

# Where the feed will connect: the first node of AMQP_URL, and DATABASE_URL (URLs parsed by
# node, which decodes what bash would get wrong).
mapfile -d '' -t target < <(node -e '
  const first = (value, fallback) => new URL((value || fallback).split(",")[0].trim());
  const amqp = first(process.env.AMQP_URL, "amqp://guest:guest@127.0.0.1:5672");
  const pg = first(process.env.DATABASE_URL, "postgres://postgres@127.0.0.1:5432/feed");
  const host = (url) => url.hostname.replace(/^\[|\]$/g, "");
  const vhost = amqp.pathname.length > 1 ? decodeURIComponent(amqp.pathname.slice(1)) : "/";
  const fields = [
    host(amqp), amqp.port || "5672", decodeURIComponent(amqp.username) || "guest",
    decodeURIComponent(amqp.password) || "guest", vhost,
    host(pg), pg.port || "5432", decodeURIComponent(pg.username) || "postgres",
    decodeURIComponent(pg.password),
  ];
  process.stdout.write(fields.join("\0") + "\0");
') || fail "cannot read AMQP_URL or DATABASE_URL"
((${#target[@]} == 9)) || fail "cannot read AMQP_URL or DATABASE_URL"
amqp_host=${target[0]} amqp_port=${target[1]} amqp_user=${target[2]} amqp_password=${target[3]}
amqp_vhost=${target[4]}
pg_host=${target[5]} pg_port=${target[6]} pg_user=${target[7]} pg_password=${target[8]}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
is_local() { case $1 in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac; }
systemd() { [ -d /run/systemd/system ]; }
# Runs a command that leaves a daemon behind with none of our descriptors above 2: a server
# that inherited a caller's pipe would keep it open for good, and one that inherited an flock
# descriptor (flock -x lock npm start) would hold that lock as long as it runs.
detached() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-"
    done
    exec "$@"
  )
}

# Root, or passwordless sudo, is what starting or configuring a Debian server takes. Asked only
# when a server is down.
as_root=()
can_root=false
detect_root() {
  if [ "$(id -u)" = 0 ]; then
    can_root=true
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    can_root=true as_root=(sudo -n)
  fi
}
as_user() { # user command...: run as the server's own account (PostgreSQL's peer login)
  local user=$1 && shift
  if [ "$(id -u)" = 0 ]; then run runuser -u "$user" -- "$@"; else run sudo -n -u "$user" "$@"; fi
}

# --- PostgreSQL -----------------------------------------------------------------------------

# The Debian cluster meant to serve DATABASE_URL: the one on its port ("version name status").
pg_cluster() {
  command -v pg_lsclusters >/dev/null || return 1
  pg_lsclusters -h 2>/dev/null | awk -v port="$pg_port" '$3 == port { print $1, $2, $4; exit }' |
    grep .
}

# Only on a cluster installed by this run: what DATABASE_URL needs to log in over TCP.
configure_postgres_files() { # version name
  local hba=/etc/postgresql/$1/$2/pg_hba.conf
  [ -n "$pg_password" ] && return 0
  step "allowing $pg_user to log in from this machine without a password (trust in $hba)"
  run "${as_root[@]}" sed -Ei \
    's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128)[[:space:]]+)[^[:space:]]+#\1trust#' \
    "$hba"
}

configure_postgres_role() {
  [ "$pg_user" = postgres ] && [ -z "$pg_password" ] && return 0
  step "creating the role $pg_user (login, createdb${pg_password:+, the password of DATABASE_URL})"
  # format() quotes the name and the password; psql's variables keep them out of the shell.
  if $dry_run; then
    say "would run: psql as postgres: create (or alter) role $pg_user login createdb password ***"
    return 0
  fi
  as_user postgres psql -q -X -v ON_ERROR_STOP=1 -v user="$pg_user" -v password="$pg_password" \
    -d postgres <<'SQL'
select format(case when exists (select from pg_roles where rolname = :'user')
                   then 'alter role %I login createdb password %L'
                   else 'create role %I login createdb password %L' end,
              :'user', nullif(:'password', '')) \gexec
SQL
}

start_postgres() { # fresh: true when this run installed it
  local fresh=$1 cluster version name status started=$SECONDS
  if ! cluster=$(pg_cluster); then
    if $dry_run && $fresh; then
      configure_postgres_files '<version>' main
      step "starting the cluster Debian creates"
      run detached "${as_root[@]}" pg_ctlcluster '<version>' main start
      configure_postgres_role
      return 0
    fi
    fail "PostgreSQL is installed, but none of its clusters is on port $pg_port" \
      "($(pg_lsclusters -h 2>/dev/null | awk '{ printf "%s%s/%s on %s", NR > 1 ? ", " : "", $1, $2, $3 }'))." \
      "Point DATABASE_URL at one, or create one: pg_createcluster --port $pg_port <version> feed"
  fi
  read -r version name status <<<"$cluster"
  $fresh && configure_postgres_files "$version" "$name"
  if [ "$status" = online ]; then
    # Running, and yet nothing answers on the port: not ours to change, unless installed now
    # (its package started it).
    $fresh || fail "PostgreSQL $version/$name is running but does not answer on" \
      "$pg_host:$pg_port (see listen_addresses in /etc/postgresql/$version/$name/postgresql.conf)"
    step "reloading PostgreSQL $version/$name, which its package started, with that setting"
    run "${as_root[@]}" pg_ctlcluster "$version" "$name" reload
  else
    $can_root || fail "PostgreSQL $version/$name is stopped, and starting it needs root:" \
      "sudo pg_ctlcluster $version $name start"
    step "starting PostgreSQL $version/$name (pg_ctlcluster $version $name start)"
    run detached "${as_root[@]}" pg_ctlcluster "$version" "$name" start ||
      fail "pg_ctlcluster $version $name start failed; its log: /var/log/postgresql/postgresql-$version-$name.log"
  fi
  if $dry_run; then
    $fresh && configure_postgres_role
    return 0
  fi
  wait_port "$pg_host" "$pg_port" "PostgreSQL $version/$name" 30
  $fresh && configure_postgres_role
  say "PostgreSQL $version/$name answers on $pg_host:$pg_port (started in $((SECONDS - started)) s)"
}

# --- RabbitMQ -------------------------------------------------------------------------------

rabbitmqctl_() { "${as_root[@]}" rabbitmqctl "$@"; }

# `rabbitmq-server -detached` returns before the node has registered with epmd, so a single
# await_startup right after it fails ("node 'rabbit' not running at all"). Asking again until
# it answers is reliable. 90 s: a start takes about 5 s on two cores; the bound leaves room
# for a first boot on a busy machine, and past it something is wrong.
await_rabbitmq() {
  local deadline=$((SECONDS + 90)) answer
  until answer=$(rabbitmqctl_ -q await_startup --timeout 5 2>&1); do
    if ((SECONDS >= deadline)); then
      say "RabbitMQ did not finish starting within 90 s; rabbitmqctl await_startup said:"
      printf '  %s\n' "$answer" | tail -3 >&2
      fail "its logs: /var/log/rabbitmq/ (startup_err, rabbit@$(hostname -s).log)"
    fi
    sleep 1
  done
}

# Only on a server installed by this run: the user and vhost of AMQP_URL. guest/guest on the
# default vhost, what the feed uses by default, works as installed (guest may log in from this
# machine only, and the feed's URL is local).
configure_rabbitmq() {
  if [ "$amqp_vhost" != / ]; then
    step "creating the vhost $amqp_vhost"
    run "${as_root[@]}" rabbitmqctl -q add_vhost "$amqp_vhost"
  fi
  if [ "$amqp_user" != guest ]; then
    step "creating the user $amqp_user with the password of AMQP_URL"
    # The password goes on stdin, not on a command line others can read.
    if $dry_run; then say "would run: rabbitmqctl add_user $amqp_user ***"; else
      printf '%s' "$amqp_password" | rabbitmqctl_ -q add_user "$amqp_user" ||
        fail "rabbitmqctl add_user $amqp_user failed"
    fi
  elif [ "$amqp_password" != guest ]; then
    step "setting the password of guest to that of AMQP_URL"
    if $dry_run; then say "would run: rabbitmqctl change_password guest ***"; else
      printf '%s' "$amqp_password" | rabbitmqctl_ -q change_password guest ||
        fail "rabbitmqctl change_password guest failed"
    fi
  fi
  if [ "$amqp_user" != guest ] || [ "$amqp_vhost" != / ]; then
    run "${as_root[@]}" rabbitmqctl -q set_permissions -p "$amqp_vhost" "$amqp_user" '.*' '.*' '.*'
  fi
}

start_rabbitmq() { # fresh: true when this run installed it
  local fresh=$1 started=$SECONDS
  $can_root || fail "RabbitMQ is stopped, and starting it needs root: sudo rabbitmq-server -detached"
  if rabbitmqctl_ -q ping >/dev/null 2>&1; then
    # A node can run with its AMQP listener stopped (rabbitmqctl stop_app): a decision someone
    # made, not ours to undo. A node installed now was started by its package: wait for it.
    $fresh || fail "the RabbitMQ node is running, but nothing answers AMQP on" \
      "$amqp_host:$amqp_port (is its app stopped? rabbitmqctl start_app)"
  else
    if systemd; then
      step "starting RabbitMQ (systemctl start rabbitmq-server)"
      run "${as_root[@]}" systemctl start rabbitmq-server || fail "systemctl start rabbitmq-server failed"
    else
      step "starting RabbitMQ (rabbitmq-server -detached)"
      run detached "${as_root[@]}" rabbitmq-server -detached || fail "rabbitmq-server -detached failed"
    fi
  fi
  if $dry_run; then
    say "would wait for rabbitmqctl -q await_startup --timeout 5 to succeed (up to 90 s)"
  else
    await_rabbitmq
  fi
  $fresh && configure_rabbitmq
  $dry_run && return 0
  wait_port "$amqp_host" "$amqp_port" RabbitMQ 10
  say "RabbitMQ answers on $amqp_host:$amqp_port (started in $((SECONDS - started)) s)"
}

# --- the decision ---------------------------------------------------------------------------

wait_port() { # host port name seconds
  local deadline=$((SECONDS + $4))
  until port_open "$1" "$2"; do
    ((SECONDS < deadline)) || fail "$3 was started but does not answer on $1:$2 after $4 s"
    sleep 0.5
  done
}

down=() # the servers (Debian package names) that do not answer
if port_open "$pg_host" "$pg_port"; then
  say "PostgreSQL answers on $pg_host:$pg_port"
else
  is_local "$pg_host" || fail "PostgreSQL at $pg_host:$pg_port (DATABASE_URL) does not answer," \
    "and it is not on this machine: start it there, or point DATABASE_URL at one that runs"
  say "PostgreSQL does not answer on $pg_host:$pg_port"
  down+=(postgresql)
fi
if port_open "$amqp_host" "$amqp_port"; then
  say "RabbitMQ answers on $amqp_host:$amqp_port"
else
  is_local "$amqp_host" || fail "RabbitMQ at $amqp_host:$amqp_port (AMQP_URL) does not answer," \
    "and it is not on this machine: start it there, or point AMQP_URL at one that runs"
  say "RabbitMQ does not answer on $amqp_host:$amqp_port"
  down+=(rabbitmq-server)
fi

fresh=() # installed by this run
if ((${#down[@]} > 0)); then
  detect_root
  mapfile -t missing < <(bash scripts/debian-packages.sh --missing "${down[@]}")
  # A cluster already here counts as installed, whatever package brought it: never configured.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null &&
    [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -vx postgresql)
  fi
  if ((${#missing[@]} > 0)); then
    say "not installed: ${missing[*]}"
    if $dry_run; then bash scripts/debian-packages.sh --dry-run "${missing[@]}"; else
      bash scripts/debian-packages.sh "${missing[@]}"
    fi
    case $? in
      0) fresh=("${missing[@]}") ;;
      1) fail "installing ${missing[*]} failed (above)" ;;
      *)
        services=${missing[*]}
        services=${services/rabbitmq-server/rabbitmq} services=${services/postgresql/postgres}
        if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
          step "starting $services with Docker (docker compose up -d --wait $services)"
          run docker compose up -d --wait $services || fail "docker compose up failed"
        else
          fail "cannot start ${missing[*]}: install them (sudo apt-get install -y ${missing[*]})," \
            "or run them with Docker (docker compose up -d --wait $services), or point AMQP_URL" \
            "and DATABASE_URL at servers you have (see .env.example); then run this again"
        fi
        ;;
    esac
  fi
  for server in "${down[@]}"; do
    [[ " ${missing[*]} " == *" $server "* && " ${fresh[*]} " != *" $server "* ]] && continue
    is_fresh=false
    [[ " ${fresh[*]} " == *" $server "* ]] && is_fresh=true
    case $server in
      postgresql) start_postgres $is_fresh ;;
      rabbitmq-server) start_rabbitmq $is_fresh ;;
    esac
  done
  # A dry run cannot look for databases on a server it has not started.
  if $dry_run && [[ " ${down[*]} " == *" postgresql "* ]]; then
    say "would create the databases of DATABASE_URL and REGISTRAR_DATABASE_URL where missing"
    exit 0
  fi
fi

if $dry_run; then node scripts/databases.mjs --dry-run; else node scripts/databases.mjs; fi
