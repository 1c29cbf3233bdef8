#!/usr/bin/env bash
# The Redis tests start their own redis-server on 127.0.0.1, the browser tests drive Debian's
# Chromium at /usr/bin/chromium and the monitoring tests run Debian's promtool and prometheus; make
# sure they exist, so a fresh machine can run `npm test` and no test is ever skipped for want of
# them. Nothing is downloaded by npm.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-cli (Debian's redis-tools, which redis-server depends on) joins the test Redis Cluster.
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# promtool and prometheus (Debian's prometheus package) check and run docs/monitoring/.
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages for the tests: ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing for the tests: ${missing[*]} (Debian/Ubuntu: sudo apt-get install -y ${missing[*]})" >&2
exit 1
