#!/usr/bin/env bash
# The live page is tested in a real browser: Debian's Chromium, driven by playwright-core.
# Installs it when missing and this machine can (root with apt-get); otherwise says so, and
# the browser test reports itself skipped with the reason.
set -uo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium: installing Debian's chromium for the browser test" >&2
  if ! { apt-get install -y -qq chromium >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; }; then
    echo "chromium: apt-get install chromium failed; the browser test will be skipped" >&2
  fi
else
  echo "chromium: $CHROMIUM is missing; install Debian's chromium (apt-get install chromium) to run the browser test" >&2
fi
exit 0
