#!/usr/bin/env bash
# The README's main job: installs and builds composec, makes sure an engine and the local images
# exist, then runs the seed document's examples with fresh random secrets. It prints names, owners,
# modes and digests, never a secret's value, and removes everything it made.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "composec demo: Node.js 20 or newer is required" >&2
  exit 1
fi

say "installing and building composec"
if [ ! -f node_modules/.composec-install-stamp ] ||
  [ "$(cat node_modules/.composec-install-stamp)" != "$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)" ]; then
  npm ci --no-audit --no-fund >/dev/null
  printf '%s\n' "$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)" >node_modules/.composec-install-stamp
fi
npm run build --silent
bash scripts/engine.sh
bash scripts/images.sh >/dev/null

composec() { node "$repo/dist/cli/bin.js" "$@"; }

work=$(mktemp -d /tmp/composec-demo.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cp -r examples/. "$work/"
# Fresh random secrets for every run; written 0600 like a careful user would.
umask 077
head -c 24 /dev/urandom | base64 >"$work/single-service/my_secret.txt"
head -c 24 /dev/urandom | base64 >"$work/wordpress/db_password.txt"
head -c 24 /dev/urandom | base64 >"$work/wordpress/db_root_password.txt"
NPM_TOKEN=$(head -c 24 /dev/urandom | base64)
export NPM_TOKEN

say "seed example 1: one service, one file secret (composec config)"
composec -f "$work/single-service/compose.yaml" config

say "seed example 2: db + wordpress sharing db_password (composec config --secrets, --services)"
composec -f "$work/wordpress/compose.yaml" config --services
composec -f "$work/wordpress/compose.yaml" config --secrets

say "seed example 3: a build secret from NPM_TOKEN (composec config)"
composec -f "$work/build-secret/compose.yaml" config

say "bad input is caught before anything is created"
printf 'services:\n  web:\n    image: x\n    secrets:\n      - source: token\n        mode: 0999\nsecrets:\n  token:\n    file: ./missing.txt\n' >"$work/bad.yaml"
if composec -f "$work/bad.yaml" config; then
  echo "composec demo: the bad file was accepted" >&2
  exit 1
fi
say "done"
