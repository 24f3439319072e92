#!/usr/bin/env bash
# Smoke test of the container image's contents without a Docker engine:
# builds the binary as the Dockerfile does, lays out the image's root
# filesystem (/herald, /data owned by 65532, nothing else), and runs it in a
# chroot as user 65532 with the Dockerfile's ENV, on loopback ports. Checks
# readiness, a persistent instance saved under /data, and a clean stop.
# Needs root (chroot); CI runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "smoke.sh: needs root for chroot" >&2; exit 1
fi
root=$(mktemp -d) && chmod 755 "$root"
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root" "$root.log"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$root/herald" ./gateway/cmd/herald
mkdir "$root/data" && chown 65532:65532 "$root/data"

chroot=$(command -v chroot)
log="$root.log"
# The Dockerfile's ENV, then loopback addresses (free ports) for the test.
env_line=$(grep '^ENV ' deploy/container/Dockerfile | sed 's/^ENV //')
# shellcheck disable=SC2086
env -i $env_line HERALD_ADMIN_ADDR=127.0.0.1:0 HERALD_HTTP_ADDR=127.0.0.1:0 \
  HERALD_GRPC_ADDR=127.0.0.1:0 HERALD_HTTP_UDP_ADDR=127.0.0.1:0 \
  "$chroot" --userspec=65532:65532 "$root" /herald 2>"$log" &
pid=$!

for _ in $(seq 1 100); do
  grep -q 'msg="herald started"' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "smoke.sh: herald exited"; exit 1; }
  sleep 0.1
done
started=$(grep 'msg="herald started"' "$log") || { cat "$log"; echo "smoke.sh: no start line"; exit 1; }
admin=$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' <<<"$started")
http=$(sed -n 's/.* http=\([^ ]*\).*/\1/p' <<<"$started")
curl -fsS "$admin/readyz"; echo
curl -fsS -X POST "$http/nacos/v1/ns/instance" \
  -d 'serviceName=smoke&ip=10.0.0.1&port=80&ephemeral=false'; echo
test -s "$root/data/persistent-instances.json" || { echo "smoke.sh: nothing saved under /data"; exit 1; }
kill -TERM "$pid"
wait "$pid"
grep -q 'msg="herald stopped"' "$log" || { cat "$log"; echo "smoke.sh: no clean stop"; exit 1; }
echo "smoke.sh: ok (ENV: $env_line)"
