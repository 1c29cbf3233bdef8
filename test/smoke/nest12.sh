#!/usr/bin/env bash
# Smoke test outside Jest: the packed library and the built sample on NestJS 12.
#
# Packs dist/lib with `npm pack`, installs the tarball next to NestJS 12 in a throwaway app,
# runs the compiled sample (dist/sample) there on 127.0.0.1 and checks it over HTTP, including
# one ALTCHA challenge solved for real. Needs `npm run build` first (the `pretest` script).
#
# NestJS 12 is ESM-only: the CommonJS library and sample load it through Node's require(esm).
# One of its dependencies asks for Node >= 22, so npm may warn EBADENGINE on Node 20; the
# warning is expected and harmless here (do not run with --engine-strict).
set -euo pipefail

started=$SECONDS
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf '[nest12-smoke] %s\n' "$*"; }
fail() {
  printf '[nest12-smoke] error: %s\n' "$*" >&2
  exit 1
}

work=""
server_log=""
server_pid=""

finish() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -n "$server_log" && -s "$server_log" ]]; then
    printf '\n----- sample log (%s) -----\n' "$server_log" >&2
    cat "$server_log" >&2
    printf -- '----- end of sample log -----\n' >&2
  fi
  [[ -z "$work" ]] || rm -rf "$work"
  if [[ $status -eq 0 ]]; then
    printf 'PASS nest12 smoke: packed nestjs-captcha + sample on NestJS %s (%ss)\n' \
      "${core_version:-?}" "$((SECONDS - started))"
  else
    printf 'FAIL nest12 smoke (exit %s, %ss)\n' "$status" "$((SECONDS - started))" >&2
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for built in dist/lib/index.js dist/sample/main.js; do
  [[ -f "$root/$built" ]] || fail "$root/$built is missing: run 'npm run build' first"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/nestjs-captcha-nest12.XXXXXX")"
app="$work/app"
server_log="$work/server.log"

# --- 1. pack the library ----------------------------------------------------------------------
log "packing $root into $work"
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
[[ -f "$work/$tarball" ]] || fail "npm pack did not produce a tarball (got '$tarball')"
log "packed $tarball"

# --- 2. throwaway app on NestJS 12 ------------------------------------------------------------
mkdir -p "$app"
cat >"$app/package.json" <<'JSON'
{
  "name": "nestjs-captcha-nest12-smoke",
  "version": "0.0.0",
  "private": true,
  "type": "commonjs"
}
JSON

# @nestjs/config@12 is the first release whose peer range includes @nestjs/common 12 (4.x stops at
# ^11). No --legacy-peer-deps: every peer range resolves cleanly.
log "installing the tarball with NestJS 12 (npm install)"
(
  cd "$app"
  npm install --no-audit --no-fund \
    "$work/$tarball" \
    @nestjs/common@12 @nestjs/core@12 @nestjs/platform-express@12 \
    @nestjs/config@12 reflect-metadata rxjs class-validator class-transformer prom-client
) || fail "npm install failed"

core_version="$(node -p "require('$app/node_modules/@nestjs/core/package.json').version")"
log "installed @nestjs/core $core_version"
[[ "$core_version" == 12.* ]] || fail "expected @nestjs/core 12.x, got $core_version"
for pkg in common core config platform-express; do
  [[ ! -e "$app/node_modules/nestjs-captcha/node_modules/@nestjs/$pkg" ]] ||
    fail "a nested @nestjs/$pkg was installed under nestjs-captcha: two Nest copies"
done

cp -R "$root/dist/sample" "$app/sample"
resolved="$(cd "$app/sample" && node -p "require.resolve('nestjs-captcha')")"
[[ "$resolved" == "$app/node_modules/nestjs-captcha/"* ]] ||
  fail "the sample resolves nestjs-captcha to $resolved, not the installed tarball"
log "sample resolves nestjs-captcha to ${resolved#"$app/"}"

# --- 3. run the sample ------------------------------------------------------------------------
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
base="http://127.0.0.1:$port"
log "starting the sample on $base"
# A clean environment: no CAPTCHA_* or NODE_ENV from the caller, so the sample runs its defaults
# (ALTCHA, memory store); cwd is the app dir so no stray .env is read.
cd "$app"
env -i PATH="$PATH" HOME="${HOME:-$work}" PORT="$port" HOST=127.0.0.1 \
  node sample/main.js >"$server_log" 2>&1 &
server_pid=$!

http() { # http METHOD PATH [JSON] -> writes $work/body, prints the status code
  local args=(-sS --noproxy '*' --max-time 10 -o "$work/body" -w '%{http_code}' -X "$1")
  [[ $# -ge 3 ]] && args+=(-H 'content-type: application/json' --data "$3")
  curl "${args[@]}" "$base$2"
}

deadline=$((SECONDS + 30))
until [[ "$(http GET /health 2>/dev/null || true)" == 200 ]]; do
  kill -0 "$server_pid" 2>/dev/null || fail "the sample exited before answering GET /health"
  ((SECONDS < deadline)) || fail "GET /health did not answer 200 within 30 s"
  sleep 0.25
done
log "sample is up"

failures=0
expect() { # expect NAME STATUS SUBSTRING METHOD PATH [JSON]
  local name="$1" want="$2" needle="$3"
  shift 3
  local got body
  got="$(http "$@" || echo 000)"
  body="$(cat "$work/body" 2>/dev/null || true)"
  if [[ "$got" == "$want" && "$body" == *"$needle"* ]]; then
    log "ok   $name -> $got"
  else
    log "FAIL $name: expected $want with '$needle', got $got: $body"
    failures=$((failures + 1))
  fi
}

expect 'GET /health' 200 '"provider":"altcha"' GET /health
expect 'POST /auth/signup without a captcha' 403 '"error":"captcha_required"' \
  POST /auth/signup '{"email":"a@example.com","password":"pw"}'
# failedAttempts counted from the response status (the outcome interceptor is taken off HTTP
# routes at start-up): three wrong passwords, then the right one is challenged.
for attempt in 1 2 3; do
  expect "POST /auth/login, wrong password #$attempt" 401 '' \
    POST /auth/login '{"email":"demo@example.com","password":"wrong"}'
done
expect 'POST /auth/login after 3 failures' 403 '"error":"captcha_required"' \
  POST /auth/login '{"email":"demo@example.com","password":"correct-horse"}'
expect 'GET /captcha/challenge?action=login' 200 '"signature"' GET '/captcha/challenge?action=login'
expect 'POST /auth/token (skipped captcha)' 200 '"access_token"' \
  POST /auth/token '{"client_id":"demo-client","client_secret":"demo-client-secret"}'
expect 'GET /metrics (after the challenge above)' 200 \
  'captcha_verifications_total{provider="altcha",action="signup",outcome="missing"} 1' GET /metrics

# One real ALTCHA round trip, solved with the altcha-lib the tarball brought in.
# Written inside the app dir, so require() finds the app's node_modules.
cat >"$app/solve.cjs" <<'JS'
const { solveChallenge } = require('altcha-lib');
const { deriveKey: deriveSha } = require('altcha-lib/algorithms/sha');
const { deriveKey: derivePbkdf2 } = require('altcha-lib/algorithms/pbkdf2');

async function main(base) {
  // Challenges are signed for one action: this one is spent on sign-up.
  const res = await fetch(`${base}/captcha/challenge?action=signup`);
  if (res.status !== 200) throw new Error(`GET /captcha/challenge?action=signup: ${res.status}`);
  const challenge = await res.json();
  const algorithm = challenge.parameters.algorithm;
  const deriveKey = algorithm.startsWith('PBKDF2/') ? derivePbkdf2 : deriveSha;
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error(`could not solve the ${algorithm} challenge`);
  const altcha = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  const signup = await fetch(`${base}/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'a@example.com', password: 'pw', altcha }),
  });
  const body = await signup.text();
  if (signup.status !== 201 || !body.includes('"created":true')) {
    throw new Error(`POST /auth/signup with a solved ALTCHA: expected 201, got ${signup.status}: ${body}`);
  }
  console.log(`solved ${algorithm} challenge; POST /auth/signup -> 201 ${body}`);
}

main(process.argv[2]).catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
JS
if out="$(node "$app/solve.cjs" "$base" 2>&1)"; then
  log "ok   $out"
else
  log "FAIL ALTCHA solve + signup: $out"
  failures=$((failures + 1))
fi

kill -0 "$server_pid" 2>/dev/null || fail "the sample died during the checks"
((failures == 0)) || fail "$failures check(s) failed"
