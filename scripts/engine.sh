#!/usr/bin/env bash
# Makes sure a Docker Engine answers on the local socket: installs Debian's docker.io (and the
# busybox-static the test images are made from) when missing, and starts dockerd in the background
# when none runs. Idempotent; safe to call from the demo, the tests and CI.
set -euo pipefail

socket=${COMPOSEC_DOCKER_SOCKET:-/var/run/docker.sock}
log=${COMPOSEC_DOCKERD_LOG:-/var/log/composec-dockerd.log}

engine_answers() {
  curl -sf --max-time 2 --unix-socket "$socket" http://localhost/_ping >/dev/null 2>&1
}

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
[ -x /bin/busybox ] || need_packages+=(busybox-static)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
if [ ${#need_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "composec: need ${need_packages[*]}; run this as root or install them yourself" >&2
    exit 1
  fi
  echo "composec: installing ${need_packages[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if engine_answers; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "composec: no Docker Engine answers on $socket; start one (as root: bash scripts/engine.sh)" >&2
  exit 1
fi

echo "composec: starting dockerd (log: $log)" >&2
# setsid: the daemon must outlive the shell (and the test run) that started it.
setsid dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  if engine_answers; then
    exit 0
  fi
  sleep 0.5
done
echo "composec: dockerd did not answer within 60s; its log follows" >&2
tail -n 30 "$log" >&2
exit 1
