#!/usr/bin/env bash
# The README's main job: installs and builds composec, makes sure an engine and the local images
# exist, then runs a real two-service app (a Node.js web app and a Redis server sharing a password
# through secrets) end to end, and the seed document's examples. It prints names, owners, modes and
# digests, never a secret's value, and removes everything it made.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
fail() {
  echo "composec demo: $*" >&2
  exit 1
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || fail "Node.js 20 or newer is required"

say "installing and building composec, starting the engine, building the local images"
stamp="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
if [ "$(cat node_modules/.composec-install-stamp 2>/dev/null)" != "$stamp" ]; then
  npm ci --no-audit --no-fund >/dev/null
  printf '%s\n' "$stamp" >node_modules/.composec-install-stamp
fi
npm run build --silent
bash scripts/engine.sh
bash scripts/images.sh >/dev/null

composec() { node "$repo/dist/cli/bin.js" "$@"; }
sha() { sha256sum | cut -c1-12; }

work=$(mktemp -d /tmp/composec-demo.XXXXXX)
cleanup() {
  for project in "$work"/demo "$work"/single-service "$work"/wordpress "$work"/build-secret; do
    [ -f "$project/compose.yaml" ] && (cd "$project" && composec down -v >/dev/null 2>&1 || true)
  done
  rm -rf "$work"
}
trap cleanup EXIT
cp -r examples/. "$work/"

# Fresh random secrets for every run, 0600 and root-owned like a careful admin's files.
umask 077
printf '%s' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >"$work/demo/db_password.txt"
DEMO_API_KEY=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export DEMO_API_KEY
password_digest=$(sha <"$work/demo/db_password.txt")

cd "$work/demo"
say "the project: two services, two secrets (composec config --secrets, then the plan)"
composec config --secrets
composec --dry-run up

say "composec up -d: secrets delivered from a tmpfs, with the owner and mode each service asks for"
composec up -d
for _ in $(seq 1 50); do
  curl -sf 127.0.0.1:18080/ >/dev/null 2>&1 && break
  sleep 0.2
done

say "what each service sees in /run/secrets (names, owners, modes; never values)"
for service in cache app; do
  echo "-- $service"
  composec exec -T "$service" sh -c 'echo "running as $(id -u):$(id -g)"; ls -ln /run/secrets | tail -n +2; echo "db_password digest: $(sha256sum /run/secrets/db_password | cut -c1-12)"'
done
echo "-- host file db_password.txt: mode $(stat -c %a db_password.txt), owner $(stat -c %u:%g db_password.txt), digest $password_digest"

say "the app authenticated to Redis with the password it read from /run/secrets"
response=$(curl -sf 127.0.0.1:18080/)
echo "$response"
echo "$response" | grep -q '"authenticated":true' || fail "the app did not authenticate"

say "rotation: a new API key is delivered live, without restarting the app"
started_at() { curl -s --unix-socket /var/run/docker.sock "http://localhost/containers/$1/json" | grep -o '"StartedAt":"[^"]*"'; }
started_before=$(started_at composec-demo-app-1)
DEMO_API_KEY=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export DEMO_API_KEY
composec up -d
curl -sf 127.0.0.1:18080/
[ "$started_before" = "$(started_at composec-demo-app-1)" ] || fail "the app was restarted"
echo "the app was not restarted ($started_before)"

say "composec logs app: the app logged its password by mistake; composec masks it"
composec logs --no-log-prefix app | head -n 3

say "leak check: the password is in no container's configuration (docker inspect)"
password=$(cat db_password.txt)
if curl -s --unix-socket /var/run/docker.sock http://localhost/containers/composec-demo-app-1/json | grep -qF -- "$password"; then
  fail "the password appears in docker inspect"
fi
echo "docker inspect of composec-demo-app-1: no secret value"
unset password

say "composec down: containers, network and the secrets' tmpfs are gone"
composec down
if grep -q " /run/composec/composec-demo " /proc/self/mounts; then fail "the tmpfs is still mounted"; fi
echo "no /run/composec/composec-demo mount left"

cd "$work"
say "seed example 1: one service, one file secret"
head -c 18 /dev/urandom | base64 >single-service/my_secret.txt
(
  cd single-service
  # busybox stands in for the seed's myapp image; keep it running to look inside.
  printf 'services:\n  myapp:\n    command: ["sleep", "3600"]\n' >compose.override.yaml
  composec up -d >/dev/null 2>&1
  composec exec -T myapp sh -c 'ls -ln /run/secrets | tail -n +2; echo "my_secret digest: $(sha256sum /run/secrets/my_secret | cut -c1-12)"'
  echo "host my_secret.txt digest: $(sha <my_secret.txt)"
  composec down >/dev/null 2>&1
)

say "seed example 2: db + wordpress share db_password; only db sees db_root_password"
head -c 18 /dev/urandom | base64 >wordpress/db_password.txt
head -c 18 /dev/urandom | base64 >wordpress/db_root_password.txt
(
  cd wordpress
  # The seed's images are replaced by busybox, which exits at once: keep it running to look inside.
  printf 'services:\n  db:\n    command: ["sleep", "3600"]\n  wordpress:\n    command: ["sleep", "3600"]\n' >compose.override.yaml
  composec up -d >/dev/null 2>&1
  for service in db wordpress; do
    echo "-- $service"
    composec exec -T "$service" sh -c 'for f in /run/secrets/*; do echo "$(basename "$f") $(sha256sum "$f" | cut -c1-12)"; done'
  done
  composec down -v >/dev/null 2>&1
)

say "seed example 3: a build secret from NPM_TOKEN reaches one RUN step, and nothing else"
(
  cd build-secret
  # A fresh value each run; --no-cache so the step really reads this one (BuildKit's cache ignores
  # secret values, as it must).
  NPM_TOKEN=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  export NPM_TOKEN
  composec build --no-cache --progress quiet
  echo "digest the RUN step wrote into the image: $(composec run --rm -T myapp cut -c1-12 /digest)"
  echo "digest of NPM_TOKEN:                       $(printf '%s' "$NPM_TOKEN" | sha)"
  if curl -s --unix-socket /var/run/docker.sock http://localhost/images/build-secret-myapp/history | grep -qF -- "$NPM_TOKEN"; then
    fail "the token is in the image history"
  fi
  echo "docker history of build-secret-myapp: no token"
  curl -s -X DELETE --unix-socket /var/run/docker.sock "http://localhost/images/build-secret-myapp?force=1" >/dev/null
)

say "bad input is caught before anything is created"
printf 'services:\n  web:\n    image: x\n    secrets:\n      - source: token\n        mode: 0999\nsecrets:\n  token:\n    file: ./missing.txt\n' >bad.yaml
if composec -f bad.yaml up -d; then fail "the bad file was accepted"; fi
say "done"
