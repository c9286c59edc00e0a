#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet, when this
# machine can (root, or passwordless sudo, with apt-get): the tests need Debian's Chromium for
# the page test and Debian's pika, aio-pika and pytest for the Python publishers (no Python
# registry is needed). Already installed: does nothing. Cannot install: says which packages
# and how, and exits 1, so a test run never passes by skipping what it could not set up.
set -uo pipefail

say() { printf 'debian-packages: %s\n' "$*" >&2; }

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  say "missing: ${missing[*]}, and this machine has no apt-get to install them"
  exit 1
fi

say "installing ${missing[*]} from Debian (apt-get)"
started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/tmp/debian-packages.log 2>&1; then
  # A fresh machine may have no package lists yet.
  if ! { "${as_root[@]}" apt-get update -qq >>/tmp/debian-packages.log 2>&1 &&
    "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >>/tmp/debian-packages.log 2>&1; }; then
    say "apt-get install ${missing[*]} failed; its output:"
    tail -20 /tmp/debian-packages.log >&2
    exit 1
  fi
fi
say "installed ${missing[*]} in $((SECONDS - started)) s"
