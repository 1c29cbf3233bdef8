#!/usr/bin/env bash
# Smoke test outside Jest: the README's walkthrough, as a new user would build it.
#
# Extracts the README's code blocks marked `<!-- scratch-app: <path> -->` into a throwaway app,
# installs the packed library (`npm pack` of the built dist) next to NestJS 11 and NestJS 12 from
# the npm registry (both installs at once), compiles the app with tsc (a `nest new` tsconfig), runs
# it on 127.0.0.1 (Express) beside the fake provider the README points at (`npx nestjs-captcha
# fake-provider`), and checks what the README promises:
# - the walkthrough over HTTP: the form page, 403 captcha_required without a token, the test key's
#   token passing through a strict ValidationPipe, an unknown field still refused by that pipe;
# - the "any service" snippet (a service calling verifyOrThrow, behind a one-line controller the
#   script adds): 403 without a token, 201 with one, the strict pipe still on;
# - once the provider is gone: 503 captcha_unavailable with Retry-After on both routes, not 500;
# - `npx nestjs-captcha doctor` in the app's directory: reads its .env and says so, exit 0;
# - start-up: CAPTCHA_SECERT_KEY gets a did-you-mean warning, CAPTCHA_PROVIDER=turnstil stops it
#   with a did-you-mean;
# - the testing recipe (CaptchaTestingModule.override of the app's forRootAsync AppModule), run by
#   node instead of a test runner: the test token passes once, a replay is `duplicate`.
# Needs `npm run build` first. Usage: bash test/smoke/readme-app.sh [11] [12] (default: both).
set -euo pipefail

started=$SECONDS
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
log() { printf '[readme-app] %s\n' "$*"; }
fail() {
  printf '[readme-app] error: %s\n' "$*" >&2
  exit 1
}

majors=("$@")
[[ ${#majors[@]} -gt 0 ]] || majors=(11 12)

work=""
pids=()
logs=()

stop_pid() {
  local pid="$1"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

finish() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if [[ $status -ne 0 ]]; then
    local file
    for file in "${logs[@]}"; do
      [[ -s "$file" ]] || continue
      printf '\n----- %s -----\n' "$file" >&2
      cat "$file" >&2
    done
  fi
  [[ -z "$work" ]] || rm -rf "$work"
  if [[ $status -eq 0 ]]; then
    printf 'PASS readme app: the README snippets as an app on NestJS %s (%ss)\n' \
      "${majors[*]}" "$((SECONDS - started))"
  else
    printf 'FAIL readme app (exit %s, %ss)\n' "$status" "$((SECONDS - started))" >&2
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -f "$root/dist/lib/index.js" ]] || fail "$root/dist/lib/index.js is missing: run 'npm run build' first"
tsc="$root/node_modules/.bin/tsc"
[[ -x "$tsc" ]] || fail "$tsc is missing: run 'npm ci' first"

work="$(mktemp -d "${TMPDIR:-/tmp}/nestjs-captcha-readme.XXXXXX")"

log "packing $root into $work"
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
[[ -f "$work/$tarball" ]] || fail "npm pack did not produce a tarball (got '$tarball')"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Writes every `<!-- scratch-app: path -->` block of the README under $1; fails when none is marked
# or a marker is not followed by a code fence, so a README edit cannot silently drop a file.
extract_blocks() {
  node - "$root/README.md" "$1" <<'JS'
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { dirname, join, normalize, isAbsolute } = require('node:path');
const [readme, dest] = process.argv.slice(2);
const lines = readFileSync(readme, 'utf8').split('\n');
const written = [];
for (let i = 0; i < lines.length; i++) {
  const marker = /^<!-- scratch-app: (\S+) -->$/.exec(lines[i].trim());
  if (!marker) continue;
  const path = normalize(marker[1]);
  if (isAbsolute(path) || path.startsWith('..')) throw new Error(`bad scratch-app path ${path}`);
  let j = i + 1;
  while (j < lines.length && lines[j].trim() === '') j++;
  const fence = /^(`{3,})\w*$/.exec(lines[j] ?? '');
  if (!fence) throw new Error(`README line ${i + 1}: scratch-app ${path} is not followed by a code fence`);
  const body = [];
  for (j++; j < lines.length && lines[j] !== fence[1]; j++) body.push(lines[j]);
  if (j >= lines.length) throw new Error(`README: unterminated code block for ${path}`);
  mkdirSync(dirname(join(dest, path)), { recursive: true });
  writeFileSync(join(dest, path), body.join('\n') + '\n');
  written.push(path);
}
if (written.length === 0) throw new Error('no scratch-app blocks in the README');
console.log(written.join(' '));
JS
}

# Writes the app of one major and starts its npm install in the background (the installs of both
# majors overlap; they wait on the registry, not on the CPU); run_major waits for it.
declare -A install_pids=()
prepare_major() {
  local major="$1" config_major
  case "$major" in
    11) config_major=4 ;;
    12) config_major=12 ;;
    *) fail "unsupported NestJS major $major (11 or 12)" ;;
  esac
  local app="$work/nest$major"
  mkdir -p "$app"
  cat >"$app/package.json" <<JSON
{ "name": "readme-app-nest$major", "version": "0.0.0", "private": true }
JSON
  # The tsconfig `nest new` writes (NestJS 11 starter), with Node's types from this repository.
  cat >"$app/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "resolvePackageJsonExports": true,
    "esModuleInterop": true,
    "isolatedModules": true,
    "declaration": true,
    "removeComments": true,
    "emitDecoratorMetadata": true,
    "experimentalDecorators": true,
    "allowSyntheticDefaultImports": true,
    "target": "ES2023",
    "sourceMap": true,
    "outDir": "./dist",
    "rootDir": "./src",
    "incremental": true,
    "skipLibCheck": true,
    "strictNullChecks": true,
    "forceConsistentCasingInFileNames": true,
    "noImplicitAny": false,
    "strictBindCallApply": false,
    "noFallthroughCasesInSwitch": false,
    "typeRoots": ["$root/node_modules/@types"],
    "types": ["node"]
  },
  "include": ["src"]
}
JSON
  log "nest $major: files from the README: $(extract_blocks "$app")"
  # The user's own glue, not a CAPTCHA snippet: a controller in front of the README's service, and
  # its registration in the README's AppModule.
  cat >"$app/src/comments.controller.ts" <<'TS'
import { Body, Controller, Ip, Post } from '@nestjs/common';
import { CommentsService, CreateCommentDto } from './comments.service';

@Controller('comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  @Post()
  create(@Body() dto: CreateCommentDto, @Ip() ip: string) {
    return this.comments.create(dto, ip);
  }
}
TS
  node - "$app/src/app.module.ts" <<'JS' || fail "nest $major: cannot register the comments route in the README's AppModule"
const { readFileSync, writeFileSync } = require('node:fs');
const file = process.argv[2];
const source = readFileSync(file, 'utf8');
const patched = source.replace(
  /controllers: \[ContactController\],/,
  'controllers: [ContactController, CommentsController],\n  providers: [CommentsService],',
);
if (patched === source) throw new Error('no `controllers: [ContactController],` in app.module.ts');
writeFileSync(
  file,
  "import { CommentsController } from './comments.controller';\n" +
    "import { CommentsService } from './comments.service';\n" +
    patched,
);
JS

  # The README's testing recipe runs under the test runner of the user's choice (top-level awaits
  # inside an `it`); here it becomes a plain async function run by node: same imports and code.
  node - "$app/test/captcha.e2e-spec.ts" "$app/src/captcha-e2e.check.ts" <<'JS' || fail "nest $major: cannot wrap the README's testing recipe"
const { readFileSync, writeFileSync } = require('node:fs');
const [from, to] = process.argv.slice(2);
const lines = readFileSync(from, 'utf8').split('\n');
const imports = lines.filter((line) => /^import .* from '[^']+';$/.test(line));
const body = lines.filter((line) => !imports.includes(line));
if (!imports.some((line) => line.includes("from '../src/app.module'"))) {
  throw new Error('the recipe does not import AppModule from ../src/app.module');
}
writeFileSync(
  to,
  imports.map((line) => line.replace("'../src/app.module'", "'./app.module'")).join('\n') +
    '\n\nasync function recipe(): Promise<void> {\n' + body.join('\n') + '\n}\n\n' +
    "recipe().then(\n  () => console.log('testing recipe: ok'),\n" +
    '  (error: unknown) => {\n    console.error(error);\n    process.exitCode = 1;\n  },\n);\n',
);
JS

  log "nest $major: npm install (the tarball, NestJS $major, @nestjs/config $config_major) in the background"
  local install_log="$work/nest$major-install.log"
  logs+=("$install_log")
  (
    cd "$app"
    exec npm install --no-audit --no-fund --loglevel=error \
      "$work/$tarball" \
      "@nestjs/common@$major" "@nestjs/core@$major" "@nestjs/platform-express@$major" \
      "@nestjs/testing@$major" "@nestjs/config@$config_major" reflect-metadata rxjs \
      class-validator class-transformer supertest
  ) >"$install_log" 2>&1 &
  install_pids[$major]=$!
  pids+=("$!")
}

run_major() {
  local major="$1" app="$work/nest$major"
  wait "${install_pids[$major]}" || fail "nest $major: npm install failed"
  log "nest $major: npm install done ($((SECONDS - started))s since the start)"
  local core_version
  core_version="$(node -p "require('$app/node_modules/@nestjs/core/package.json').version")"
  [[ "$core_version" == "$major".* ]] || fail "expected @nestjs/core $major.x, got $core_version"

  log "nest $major: tsc"
  (cd "$app" && "$tsc" -p tsconfig.json) || fail "nest $major: the README's code does not compile"

  # The README's offline path: the fake provider beside the app, its verify URL in .env.
  local fake_port app_port base fake_log app_log fake_pid app_pid
  fake_port="$(free_port)"
  fake_log="$work/nest$major-fake.log"
  logs+=("$fake_log")
  (cd "$app" && exec env -i PATH="$PATH" HOME="${HOME:-$work}" \
    node node_modules/nestjs-captcha/dist/lib/cli/main.js fake-provider --port "$fake_port") \
    >"$fake_log" 2>&1 &
  fake_pid=$!
  pids+=("$fake_pid")
  printf 'CAPTCHA_VERIFY_URL=http://127.0.0.1:%s/turnstile/v0/siteverify\n' "$fake_port" >>"$app/.env"

  app_port="$(free_port)"
  base="http://127.0.0.1:$app_port"
  app_log="$work/nest$major-app.log"
  logs+=("$app_log")
  # A clean environment: only what the README's .env says (cwd is the app, as with `npm run start`).
  (cd "$app" && exec env -i PATH="$PATH" HOME="${HOME:-$work}" PORT="$app_port" \
    node dist/main.js) >"$app_log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")

  local deadline=$((SECONDS + 30))
  until grep -q 'listening on' "$fake_log" 2>/dev/null &&
    [[ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$base/" 2>/dev/null)" == 200 ]]; do
    kill -0 "$fake_pid" 2>/dev/null || fail "nest $major: the fake provider exited"
    kill -0 "$app_pid" 2>/dev/null || fail "nest $major: the app exited before answering GET /"
    ((SECONDS < deadline)) || fail "nest $major: the app did not answer GET / within 30 s"
    sleep 0.25
  done
  log "nest $major: app on $base (NestJS $core_version), fake provider on port $fake_port"

  # The README's testing recipe: the app's own AppModule (forRootAsync) under
  # CaptchaTestingModule.override; the test token passes once, a replay is `duplicate`. Run once the
  # .env points at the fake provider: a recipe that left the real module in place must not reach
  # the real provider.
  local recipe_log="$work/nest$major-recipe.log" recipe_code=0
  logs+=("$recipe_log")
  (cd "$app" && env -i PATH="$PATH" HOME="${HOME:-$work}" timeout 30 node dist/captcha-e2e.check.js) \
    >"$recipe_log" 2>&1 || recipe_code=$?

  local failures=0
  # check NAME STATUS SUBSTRING curl-args...: one request, its status and a piece of its body.
  check() {
    local name="$1" want="$2" needle="$3"
    shift 3
    local got body
    got="$(curl -sS --noproxy '*' --max-time 10 -D "$work/headers" -o "$work/body" \
      -w '%{http_code}' "$@" 2>/dev/null || echo 000)"
    body="$(cat "$work/body" 2>/dev/null || true)"
    if [[ "$got" == "$want" && "$body" == *"$needle"* ]]; then
      log "nest $major: ok   $name -> $got"
    else
      log "nest $major: FAIL $name: expected $want with '$needle', got $got: $body"
      failures=$((failures + 1))
    fi
  }

  check_retry_after() {
    if grep -qi '^retry-after: [0-9]' "$work/headers"; then
      log "nest $major: ok   the 503 carries Retry-After"
    else
      log "nest $major: FAIL the 503 has no Retry-After header"
      failures=$((failures + 1))
    fi
  }
  # expect_output NAME CODE WANTED_CODE FILE SUBSTRING...: an exit code and pieces of the output.
  expect_output() {
    local name="$1" code="$2" want="$3" file="$4" needle missing=""
    shift 4
    for needle in "$@"; do
      grep -qF -- "$needle" "$file" || missing+=" '$needle'"
    done
    if [[ "$code" == "$want" && -z "$missing" ]]; then
      log "nest $major: ok   $name"
    else
      log "nest $major: FAIL $name: exit $code (expected $want), missing:${missing:- nothing}"
      sed 's/^/    | /' "$file" >&2
      failures=$((failures + 1))
    fi
  }

  expect_output 'the testing recipe: override(AppModule), the test token once, then duplicate' \
    "$recipe_code" 0 "$recipe_log" 'testing recipe: ok'
  check 'GET / (the form, with the site key)' 200 'data-sitekey="1x00000000000000000000AA"' "$base/"
  check 'POST /contact without a token' 403 '"error":"captcha_required"' \
    "$base/contact" -d 'email=a@example.com&message=hi'
  check 'POST /contact with the test token (strict ValidationPipe)' 200 '"sent":true' \
    "$base/contact" -d 'email=a@example.com&message=hi&cf-turnstile-response=XXXX.DUMMY.TOKEN.XXXX'
  check 'POST /contact, JSON with captchaToken' 200 '"email":"b@example.com"' \
    "$base/contact" -H 'content-type: application/json' \
    -d '{"email":"b@example.com","message":"hi","captchaToken":"XXXX.DUMMY.TOKEN.XXXX"}'
  check 'POST /contact with an unknown field' 400 'property admin should not exist' \
    "$base/contact" -d 'email=a@example.com&message=hi&admin=1&cf-turnstile-response=XXXX.DUMMY.TOKEN.XXXX'
  check 'POST /contact with a bad e-mail' 400 'email must be an email' \
    "$base/contact" -d 'email=nope&message=hi&cf-turnstile-response=XXXX.DUMMY.TOKEN.XXXX'

  # The README's "any service" pattern: a service calls verifyOrThrow, the global filter answers.
  local json=(-H 'content-type: application/json')
  check 'POST /comments (service) without a token' 403 '"error":"captcha_required"' \
    "$base/comments" "${json[@]}" -d '{"text":"hi"}'
  check 'POST /comments (service) with the test token' 201 '"text":"hi"' \
    "$base/comments" "${json[@]}" -d '{"text":"hi","captcha":{"token":"XXXX.DUMMY.TOKEN.XXXX"}}'
  check 'POST /comments (service) with an unknown field' 400 'property admin should not exist' \
    "$base/comments" "${json[@]}" -d '{"text":"hi","admin":1,"captcha":{"token":"XXXX.DUMMY.TOKEN.XXXX"}}'

  # `doctor` in the app's directory reads its .env by default and says so; test keys against the
  # fake provider: the keys are a warning outside production, the provider check passes (exit 0).
  local doctor_out="$work/nest$major-doctor.log" doctor_code=0
  logs+=("$doctor_out")
  (cd "$app" && env -i PATH="$PATH" HOME="${HOME:-$work}" timeout 30 npx nestjs-captcha doctor) \
    >"$doctor_out" 2>&1 || doctor_code=$?
  expect_output "doctor exits 0 (test keys: a warning)" "$doctor_code" 0 "$doctor_out" \
    "read $app/.env (" 'secret accepted' '⚠ test-keys' 'OK:'

  # Provider gone: the module's default policy (closed) answers 503 with Retry-After, not 500,
  # on the guarded route and from the service alike.
  stop_pid "$fake_pid"
  check 'POST /contact while the provider is down' 503 '"error":"captcha_unavailable"' \
    "$base/contact" -d 'email=a@example.com&message=hi&cf-turnstile-response=XXXX.DUMMY.TOKEN.XXXX'
  check_retry_after
  check 'POST /comments (service) while the provider is down' 503 '"error":"captcha_unavailable"' \
    "$base/comments" "${json[@]}" -d '{"text":"hi","captcha":{"token":"XXXX.DUMMY.TOKEN.XXXX"}}'
  check_retry_after

  kill -0 "$app_pid" 2>/dev/null || fail "nest $major: the app died during the checks"
  stop_pid "$app_pid"

  # Silent configuration: a misspelt variable is warned about at start-up (the app still starts),
  # a misspelt provider stops start-up; both with a did-you-mean.
  local typo_log="$work/nest$major-typo.log" typo_pid
  logs+=("$typo_log")
  (cd "$app" && exec env -i PATH="$PATH" HOME="${HOME:-$work}" PORT="$(free_port)" \
    CAPTCHA_SECERT_KEY=x node dist/main.js) >"$typo_log" 2>&1 &
  typo_pid=$!
  pids+=("$typo_pid")
  deadline=$((SECONDS + 20))
  until grep -q 'successfully started' "$typo_log" 2>/dev/null; do
    kill -0 "$typo_pid" 2>/dev/null || break
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  local typo_code=0
  kill -0 "$typo_pid" 2>/dev/null || typo_code=1
  stop_pid "$typo_pid"
  expect_output 'CAPTCHA_SECERT_KEY: the app starts, with a warning' "$typo_code" 0 "$typo_log" \
    'successfully started' 'CAPTCHA_SECERT_KEY is set but is not a variable nestjs-captcha reads (did you mean CAPTCHA_SECRET_KEY?)'

  local provider_log="$work/nest$major-provider-typo.log"
  logs+=("$provider_log")
  typo_code=0
  (cd "$app" && env -i PATH="$PATH" HOME="${HOME:-$work}" PORT="$(free_port)" \
    CAPTCHA_PROVIDER=turnstil timeout 20 node dist/main.js) >"$provider_log" 2>&1 || typo_code=$?
  if ((typo_code == 0 || typo_code == 124)); then
    log "nest $major: FAIL CAPTCHA_PROVIDER=turnstil: expected start-up to stop, exit $typo_code"
    failures=$((failures + 1))
  else
    expect_output "CAPTCHA_PROVIDER=turnstil stops start-up (exit $typo_code)" 0 0 "$provider_log" \
      'CAPTCHA_PROVIDER' 'did you mean "turnstile"'
  fi

  ((failures == 0)) || fail "nest $major: $failures check(s) failed"
}

for major in "${majors[@]}"; do prepare_major "$major"; done
for major in "${majors[@]}"; do run_major "$major"; done
