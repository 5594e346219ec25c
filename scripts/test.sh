#!/usr/bin/env bash
# The one test command (README): from a fresh clone or a working tree, installs what is locked,
# makes sure an engine and the local test images exist, builds, checks types and style, then runs
# the vitest projects (unit, integration, integration-serial, crash). Stops at the first failing
# step (or group of steps run at once) and names each that failed, so a CI log says at once whether
# the code, the machine or the engine is at fault. Extra arguments go to
# vitest (e.g. `bash scripts/test.sh --project unit`, or a file filter).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() {
  local name=$1 start=$SECONDS
  shift
  echo "==> $name" >&2
  if ! "$@"; then
    echo "composec test: step '$name' failed (command: $*)" >&2
    exit 1
  fi
  echo "==> $name: ok ($((SECONDS - start))s)" >&2
}

# npm ci wipes node_modules and reinstalls every time (tens of seconds); skip it when the tree was
# installed by npm ci from this very lock file with this very node, which the stamp records.
stamp=node_modules/.composec-install-stamp
want_stamp="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
install() {
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ]; then
    echo "node_modules matches package-lock.json; skipping npm ci" >&2
    return 0
  fi
  npm ci --no-audit --no-fund && printf '%s\n' "$want_stamp" >"$stamp"
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "composec test: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Steps that need nothing from each other run at once: on CI's 2 cores build, typecheck and lint
# together took 25 s against 43 s one after the other, and the images wait on the engine, not on
# npm ci. Each one's output is kept apart and printed whole when it ends; every failed one is named.
declare -A bg_pid=() bg_log=() bg_start=()
begin() {
  local name=$1
  shift
  echo "==> $name (at the same time as the others)" >&2
  bg_log[$name]=$(mktemp)
  bg_start[$name]=$SECONDS
  "$@" >"${bg_log[$name]}" 2>&1 &
  bg_pid[$name]=$!
}
finish() {
  local name failed=()
  for name in "$@"; do
    if wait "${bg_pid[$name]}"; then
      cat "${bg_log[$name]}" >&2
      echo "==> $name: ok ($((SECONDS - bg_start[$name]))s)" >&2
    else
      cat "${bg_log[$name]}" >&2
      echo "composec test: step '$name' failed" >&2
      failed+=("$name")
    fi
    rm -f "${bg_log[$name]}"
  done
  [ ${#failed[@]} -eq 0 ] || exit 1
}
images() {
  bash scripts/engine.sh && bash scripts/images.sh
}

# The images come from this machine's files and the engine, not from node_modules.
begin "engine and test images (scripts/engine.sh, scripts/images.sh)" images
step "npm ci" install
# build writes dist/, which eslint and prettier ignore; typecheck writes nothing.
begin "build" npm run build --silent
begin "typecheck" npm run typecheck --silent
begin "lint" npm run lint --silent
finish "engine and test images (scripts/engine.sh, scripts/images.sh)" build typecheck lint
step "vitest" npx vitest run "$@"
