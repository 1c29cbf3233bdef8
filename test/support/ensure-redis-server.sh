#!/usr/bin/env bash
# The Redis tests start their own redis-server on 127.0.0.1; make sure the binary exists, so a
# fresh machine can run `npm test` and no Redis test is ever skipped for want of it.
set -euo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "redis-server not found: installing Debian's redis-server for the Redis tests" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  exit 0
fi
echo "redis-server not found: the Redis tests need it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis)" >&2
exit 1
