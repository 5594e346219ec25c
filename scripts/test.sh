#!/usr/bin/env bash
# The one test command (README): from a fresh clone or a working tree, installs what is locked,
# makes sure an engine and the local test images exist, builds, checks types and style, then runs
# both vitest projects (unit and integration). Stops at the first failing step and names it, so a
# CI log says at once whether the code, the machine or the engine is at fault. Extra arguments go to
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

step "npm ci" install
step "engine (scripts/engine.sh)" bash scripts/engine.sh
step "test images (scripts/images.sh)" bash scripts/images.sh
step "build" npm run build --silent
step "typecheck" npm run typecheck --silent
step "lint" npm run lint --silent
step "vitest" npx vitest run "$@"
