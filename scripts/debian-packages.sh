#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet, when this
# machine can (root, or passwordless sudo, with apt-get): the tests need Debian's Chromium for
# the page test and Debian's pika, aio-pika and pytest for the Python publishers (no Python
# registry is needed); `scripts/services.sh` installs RabbitMQ and PostgreSQL with it. One
# installer, so "installed" means the same thing everywhere: dpkg says so.
#
#   debian-packages.sh PACKAGE...            install the missing ones
#   debian-packages.sh --missing PACKAGE...  print the missing ones, one a line; install nothing
#   debian-packages.sh --dry-run PACKAGE...  say what it would run, and ask apt-get to simulate it
#
# Exit 0: all installed (or, in a dry run, they could be). 1: apt-get failed. 2: this machine
# cannot install (no root or passwordless sudo, or no apt-get): it says which packages and how,
# so a test run never passes by skipping what it could not set up.
set -uo pipefail

say() { printf 'debian-packages: %s\n' "$*" >&2; }

mode=install
case ${1-} in
  --missing | --dry-run) mode=${1#--} && shift ;;
esac

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
if [ "$mode" = missing ]; then
  ((${#missing[@]} == 0)) || printf '%s\n' "${missing[@]}"
  exit 0
fi
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
  exit 2
fi
if ! command -v apt-get >/dev/null; then
  say "missing: ${missing[*]}, and this machine has no apt-get to install them"
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$mode" = dry-run ]; then
  say "would run: ${as_root[*]}${as_root:+ }apt-get install -y ${missing[*]}"
  # A simulation needs no root and changes nothing; it fails when the package lists do not know
  # a package yet, which the real run answers with an apt-get update.
  apt-get -s -qq install -y "${missing[@]}" >/dev/null 2>&1 ||
    say "apt-get does not know ${missing[*]} yet: the real run would run apt-get update first"
  exit 0
fi

say "installing ${missing[*]} from Debian (apt-get)"
started=$SECONDS
log=$(mktemp -t debian-packages.XXXXXX.log)
if ! "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >"$log" 2>&1; then
  # A fresh machine may have no package lists yet.
  if ! { "${as_root[@]}" apt-get update -qq >>"$log" 2>&1 &&
    "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; }; then
    say "apt-get install ${missing[*]} failed; its output ($log):"
    tail -20 "$log" >&2
    exit 1
  fi
fi
rm -f "$log"
say "installed ${missing[*]} in $((SECONDS - started)) s"
