#!/usr/bin/env bash
# Builds the images the tests and the demo run, from this machine's own files: no registry is
# reachable where composec is tested, so nothing may be pulled. Each image is a root filesystem
# imported through the Engine API (POST /images/create?fromSrc=-), labelled with a hash of its recipe
# (this script) and of its inputs' paths, sizes and times, so an up-to-date image is skipped in well
# under a second and a changed binary (a Debian update) rebuilds it.
#
#   composec-test/busybox:1  Debian's static busybox with its applets, users root, nobody, app (1000)
#   composec-test/node:1     this machine's node and the libraries ldd lists, plus busybox
#   composec-test/redis:1    Debian's redis-server and redis-cli and their libraries, plus busybox
#
# Needs a running engine (scripts/engine.sh). Set COMPOSEC_IMAGES_FORCE=1 to rebuild regardless.
set -euo pipefail

socket=${COMPOSEC_DOCKER_SOCKET:-/var/run/docker.sock}
api=http://localhost/v1.41
label=com.composec.test-image.version
self=$(readlink -f "${BASH_SOURCE[0]}")

die() {
  echo "images.sh: $*" >&2
  exit 1
}

need_packages=()
[ -x /bin/busybox ] || need_packages+=(busybox-static)
[ -x /usr/bin/redis-server ] || need_packages+=(redis-server)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
if [ ${#need_packages[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need ${need_packages[*]}; run this as root or install them yourself"
  echo "images.sh: installing ${need_packages[*]} from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale on a fresh machine; refresh only when needed.
  apt-get install -y -qq "${need_packages[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "${need_packages[@]}" >/dev/null; }
fi

curl -sf --max-time 2 --unix-socket "$socket" "$api/_ping" >/dev/null ||
  die "no Docker Engine answers on $socket; run: bash scripts/engine.sh"

node_bin=$(command -v node) || die "node is not on PATH (Node.js 20 or newer is a prerequisite)"
node_bin=$(readlink -f "$node_bin")
redis_server=$(readlink -f /usr/bin/redis-server)
redis_cli=$(readlink -f /usr/bin/redis-cli)

# Two runs at once (tests and a demo started together) would import the same image twice and leave
# a dangling copy; serialise them.
lock=${TMPDIR:-/tmp}/composec-images.$(id -u).lock
exec 9>"$lock"
flock 9

work=$(mktemp -d "${TMPDIR:-/tmp}/composec-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Every shared library a binary loads, and its dynamic loader, as absolute paths.
libraries() {
  ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u
}

version_of() {
  # Paths, sizes and modification times stand in for contents: hashing node's ~100 MB on every
  # run would cost more than the whole up-to-date check is allowed to take.
  { sha256sum <"$self"; stat -L -c '%n %s %Y' "$@"; } | sha256sum | cut -c1-16
}

# Prints the image's version label, or nothing when the image does not exist.
current_version() {
  curl -s --unix-socket "$socket" "$api/images/$1/json" |
    grep -o "\"$label\":\"[^\"]*\"" | cut -d'"' -f4 || true
}

image_id() {
  curl -s --unix-socket "$socket" "$api/images/$1/json" | grep -o '"Id":"sha256:[0-9a-f]*"' |
    cut -d'"' -f4 || true
}

json_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')"
}

urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9.~_-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# A root filesystem every test image shares: busybox with its applets, the users tests refer to
# (root, nobody, app 1000:1000), a world-writable /tmp and an empty /run for /run/secrets.
add_base() {
  local root=$1 path dir
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,run,root,home/app,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  (
    cd "$root"
    for path in $(/bin/busybox --list-full); do
      [ "${path##*/}" = busybox ] && continue
      # Every applet in /bin, as the tests assume; also at its usual place (/usr/bin/env for
      # shebang lines, /sbin/ip, ...).
      [ -e "bin/${path##*/}" ] || ln -s busybox "bin/${path##*/}"
      dir=${path%/*}
      if [ "$dir" != "$path" ] && [ "$dir" != bin ] && [ ! -e "$path" ]; then
        mkdir -p "$dir"
        ln -s /bin/busybox "$path"
      fi
    done
  )
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
nobody:x:65534:
EOF
  cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
}

# Copies files into the root at their own paths (libraries must sit where the loader looks).
add_files() {
  local root=$1 file
  shift
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
  done
}

# Imports the root filesystem under a candidate tag; promote() gives it the real one once checked.
import() {
  local root=$1 ref=$2 version=$3 url change tarball response code
  shift 3
  tarball=$work/rootfs.tar
  # As non-root the files are ours; record root ownership, except app's home which is app's.
  tar -C "$root" --numeric-owner --owner=0 --group=0 --exclude=./home/app -cf "$tarball" .
  tar -C "$root" --numeric-owner --owner=1000 --group=1000 -rf "$tarball" ./home/app
  url="$api/images/create?fromSrc=-&repo=$(urlencode "${ref%:*}")&tag=$(urlencode "${ref##*:}")"
  for change in "LABEL $label=$version" "$@"; do
    url+="&changes=$(urlencode "$change")"
  done
  response=$work/import.out
  code=$(curl -s --unix-socket "$socket" -o "$response" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/x-tar' --data-binary "@$tarball" "$url") || code=000
  if [ "$code" != 200 ] || grep -q '"error' "$response"; then
    die "importing $ref failed (HTTP $code): $(head -c 500 "$response")"
  fi
}

# Moves the tag to the checked candidate, then removes the image it replaced when nothing uses it.
promote() {
  local candidate=$1 ref=$2 old
  old=$(image_id "$ref")
  curl -sf --unix-socket "$socket" -o /dev/null -X POST \
    "$api/images/$candidate/tag?repo=$(urlencode "${ref%:*}")&tag=$(urlencode "${ref##*:}")" ||
    die "cannot tag $candidate as $ref"
  curl -s --unix-socket "$socket" -o /dev/null -X DELETE "$api/images/$candidate" || true
  if [ -n "$old" ] && [ "$old" != "$(image_id "$ref")" ]; then
    curl -s --unix-socket "$socket" -o /dev/null -X DELETE "$api/images/$old" || true
  fi
}

# Runs a command in a fresh container of the image and prints its output (a TTY keeps the log
# stream raw instead of multiplexed; NO_COLOR keeps node from colouring it). The container is
# removed whatever happens.
run_in() {
  local ref=$1 cmd_json=$2 id status
  id=$(curl -sf --unix-socket "$socket" -X POST -H 'Content-Type: application/json' \
    -d "{\"Image\":\"$ref\",\"Cmd\":$cmd_json,\"Tty\":true,\"Env\":[\"NO_COLOR=1\"],\"Labels\":{\"com.composec.test-image.check\":\"1\"}}" \
    "$api/containers/create" | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4) ||
    die "cannot create a container of $ref"
  (
    trap 'curl -s --unix-socket "$socket" -o /dev/null -X DELETE "$api/containers/$id?force=1"' EXIT
    curl -sf --unix-socket "$socket" -o /dev/null -X POST "$api/containers/$id/start" ||
      die "cannot start a container of $ref"
    status=$(curl -sf --max-time 60 --unix-socket "$socket" -X POST "$api/containers/$id/wait" |
      grep -o '"StatusCode":[0-9]*' | cut -d: -f2)
    curl -s --unix-socket "$socket" "$api/containers/$id/logs?stdout=1&stderr=1" | tr -d '\r'
    [ "$status" = 0 ] || die "$cmd_json in $ref exited with status ${status:-unknown}"
  )
}

check() {
  local ref=$1 cmd_json=$2 expected=$3 out
  out=$(run_in "$ref" "$cmd_json")
  [ "$out" = "$expected" ] || die "$ref: $cmd_json printed '$out', expected '$expected'"
}

# Builds the image unless its label already says this version; prints one line either way.
ensure() {
  local ref=$1 version=$2 builder=$3 root
  if [ "${COMPOSEC_IMAGES_FORCE:-0}" != 1 ] && [ "$(current_version "$ref")" = "$version" ]; then
    echo "$ref: up to date"
    return
  fi
  root=$work/${ref//[\/:]/_}
  mkdir -p "$root"
  # A failed check leaves only the candidate tag: the next run sees no up-to-date image and retries.
  "$builder" "$root" "$ref-candidate" "$version"
  rm -rf "$root"
  promote "$ref-candidate" "$ref"
  echo "$ref: built"
}

build_busybox() {
  add_base "$1"
  import "$1" "$2" "$3" 'CMD ["sh"]' 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  check "$2" '["sh","-c","id -u; id -u app; ls -ld /tmp | cut -c1-10; stat -c %u /home/app"]' \
    $'0\n1000\ndrwxrwxrwt\n1000'
}

build_node() {
  add_base "$1"
  add_files "$1" $(libraries "$node_bin")
  cp -L "$node_bin" "$1/usr/local/bin/node"
  import "$1" "$2" "$3" 'CMD ["node"]' 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  check "$2" "[\"node\",\"-e\",\"console.log(1)\"]" 1
}

build_redis() {
  add_base "$1"
  add_files "$1" $(libraries "$redis_server" "$redis_cli")
  # Debian's redis-server is a link to redis-check-rdb: the binary chooses its role by its name.
  cp -L "$redis_server" "$1/usr/bin/redis-server"
  cp -L "$redis_cli" "$1/usr/bin/redis-cli"
  mkdir -p "$1/data"
  chmod 1777 "$1/data"
  import "$1" "$2" "$3" 'CMD ["redis-server"]' 'WORKDIR /data' 'EXPOSE 6379' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  # The demo's shape: requirepass read from a secret file and fed to redis-server on stdin. The
  # password here is a throwaway made up for this check, never printed.
  local script='
    mkdir -p /run/secrets
    head -c 12 /dev/urandom | sha256sum | cut -c1-24 >/run/secrets/db_password
    printf "requirepass %s\n" "$(cat /run/secrets/db_password)" | redis-server - >/tmp/redis.log 2>&1 &
    for i in $(seq 50); do redis-cli ping 2>&1 | grep -q -e NOAUTH -e PONG && break; sleep 0.1; done
    redis-cli ping 2>&1 | grep -q NOAUTH || { echo "redis-server asked for no password"; exit 1; }
    REDISCLI_AUTH=$(cat /run/secrets/db_password) redis-cli ping'
  check "$2" "[\"sh\",\"-c\",$(json_string "$script")]" PONG
}

ensure composec-test/busybox:1 "$(version_of /bin/busybox)" build_busybox
ensure composec-test/node:1 "$(version_of /bin/busybox "$node_bin" $(libraries "$node_bin"))" build_node
ensure composec-test/redis:1 \
  "$(version_of /bin/busybox "$redis_server" "$redis_cli" $(libraries "$redis_server" "$redis_cli"))" \
  build_redis
