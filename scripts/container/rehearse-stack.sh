#!/usr/bin/env bash
# rehearse-stack.sh — a podman rehearsal of deploy/docker-compose.yml's proxy + portal on a machine with no
# Docker engine and no registry. What is the same as the compose file: the portal image, the shipped
# deploy/nginx/nginx.conf, the two networks (frontend; backend internal), only the proxy publishing ports,
# every hardening option of both services (fixed non-root uid, read-only root filesystem, tmpfs /tmp,
# cap_drop ALL, no-new-privileges), a named volume for /data, secrets as read-only files under /run/secrets.
# What differs (and why): the proxy image is a local stand-in (Debian nginx 1.22, uid 101; no registry for
# nginx:1.28), nginx's `resolver` points at podman's DNS (aardvark on the network gateway) instead of Docker's
# 127.0.0.11, the portal uses its SQLite provider (no postgres:15 image here; the PostgreSQL path is checked
# separately, see docs/container.md), and host ports are 127.0.0.1:18081/18443 instead of 80/443.
#
#   scripts/container/rehearse-stack.sh        (after scripts/container/build.sh)
#
# Environment: IMAGE (default coderaft-admin:dev), HTTPS_PORT (18443), HTTP_PORT (18081), KEEP=1.
set -uo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$DIR/../.." && pwd)"
IMAGE="${IMAGE:-coderaft-admin:dev}"
PROXY_IMAGE="localhost/coderaft-proxy-standin:nginx-1.22"
HTTPS_PORT="${HTTPS_PORT:-18443}"
HTTP_PORT="${HTTP_PORT:-18081}"
HOST=admin.coderaft.test
P="coderaft-rehearsal-$$"

pass=0; fail=0
ok()  { pass=$((pass+1)); printf 'PASS %s\n' "$*"; }
bad() { fail=$((fail+1)); printf 'FAIL %s\n' "$*"; }
log() { printf '[rehearse] %s\n' "$*" >&2; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

podman image exists "$IMAGE" || { echo "image $IMAGE not found: run scripts/container/build.sh"; exit 1; }
. "$DIR/podman-env.sh"
podman_detect "$IMAGE" || { bad "no OCI runtime can start a container here"; finish; }

T="$(mktemp -d /tmp/coderaft-rehearsal.XXXXXX)"
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then log "KEEP=1: $P-* and $T left in place"; return; fi
  podman rm -f -t 3 "$P-proxy" "$P-portal" >/dev/null 2>&1
  podman volume rm "$P-portal-data" >/dev/null 2>&1
  podman network rm "$P-frontend" "$P-backend" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

if ! podman image exists "$PROXY_IMAGE"; then
  log "building $PROXY_IMAGE (Debian nginx-light on the local base)"
  podman build --isolation=chroot --pull=never --format docker -t "$PROXY_IMAGE" \
    -f "$DIR/proxy-standin.Containerfile" "$DIR" > "$T/proxy-build.log" 2>&1 \
    || { tail -n 20 "$T/proxy-build.log"; bad "proxy stand-in image build failed"; finish; }
fi

"$DIR/make-secrets.sh" --out "$T/secrets" --hostname "$HOST" 2>"$T/secrets.log" || { bad "make-secrets.sh failed"; finish; }

podman network create "$P-frontend" >/dev/null
podman network create --internal "$P-backend" >/dev/null
gw="$(podman network inspect "$P-backend" --format '{{range .Subnets}}{{.Gateway}}{{end}}')"

# shellcheck disable=SC2054  # the commas are tmpfs mount options
harden=(--read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,noexec,size=64m,mode=1777
        --cap-drop ALL --security-opt no-new-privileges)

# portal: backend only, no ports, named volume for /data (created from the image's /data: 10001, 0700)
podman volume create "$P-portal-data" >/dev/null
podman "${PODMAN_RT[@]}" run -d --name "$P-portal" --pull=never "${PODMAN_LIMITS[@]}" "${harden[@]}" \
  --user 10001:10001 --network "$P-backend" --network-alias portal \
  -v "$P-portal-data:/data" \
  -v "$T/secrets/coderaft_master_secret:/run/secrets/coderaft_master_secret:ro" \
  -e Encryption__MasterSecretFile=/run/secrets/coderaft_master_secret \
  "$IMAGE" >/dev/null 2>>"$T/podman.err" || { bad "portal did not start: $(grep -v '^time=' "$T/podman.err" | tail -n1)"; finish; }

# proxy: the shipped nginx.conf, only the resolver address swapped for podman's DNS
sed "s|resolver 127.0.0.11 |resolver $gw |" "$REPO_ROOT/deploy/nginx/nginx.conf" > "$T/nginx.conf"
grep -q "resolver $gw " "$T/nginx.conf" || { bad "resolver rewrite did not apply"; finish; }
chmod 0644 "$T/nginx.conf"
podman "${PODMAN_RT[@]}" run -d --name "$P-proxy" --pull=never "${PODMAN_LIMITS[@]}" "${harden[@]}" \
  --user 101:101 --network "$P-frontend" --network "$P-backend" \
  -p "127.0.0.1:$HTTP_PORT:8080" -p "127.0.0.1:$HTTPS_PORT:8443" \
  -v "$T/nginx.conf:/etc/nginx/nginx.conf:ro" \
  -v "$T/secrets/proxy_tls_certificate.pem:/run/secrets/proxy_tls_certificate:ro" \
  -v "$T/secrets/proxy_tls_key.pem:/run/secrets/proxy_tls_key:ro" \
  "$PROXY_IMAGE" >/dev/null 2>>"$T/podman.err" || { bad "proxy did not start: $(grep -v '^time=' "$T/podman.err" | tail -n1)"; finish; }

c() { curl -s --max-time 5 --resolve "$HOST:$HTTPS_PORT:127.0.0.1" --cacert "$T/secrets/proxy_tls_certificate.pem" "$@"; }
code=""
for i in $(seq 1 60); do
  code="$(c -o /dev/null -w '%{http_code}' "https://$HOST:$HTTPS_PORT/healthz")"
  [ "$code" = 200 ] && break
  sleep 1
done
if [ "$code" = 200 ]; then ok "client -> proxy (TLS) -> portal: GET /healthz = 200 after ${i} s"
else
  bad "GET /healthz through the proxy = '$code'"
  podman logs "$P-proxy" 2>&1 | tail -n 15 | sed 's/^/    proxy: /'
  podman logs "$P-portal" 2>&1 | tail -n 15 | sed 's/^/    portal: /'
fi
v="$(c -v -o /dev/null "https://$HOST:$HTTPS_PORT/" 2>&1)"
grep -q 'SSL connection using TLSv1.3' <<<"$v" && ok "TLS 1.3 at the proxy" || bad "no TLS 1.3"
c -o /dev/null --tls-max 1.2 "https://$HOST:$HTTPS_PORT/" && bad "TLS 1.2 accepted" || ok "TLS 1.2 refused"
hsts="$(c -D - -o /dev/null "https://$HOST:$HTTPS_PORT/" | tr -d '\r' | grep -i '^strict-transport-security:')"
[ "$hsts" = "strict-transport-security: max-age=31536000; includeSubDomains" ] || [ "$hsts" = "Strict-Transport-Security: max-age=31536000; includeSubDomains" ] \
  && ok "HSTS: $hsts" || bad "HSTS: '$hsts'"
neg="$(c -X POST -H 'Content-Type: text/plain;charset=UTF-8' -d '' "https://$HOST:$HTTPS_PORT/_blazor/negotiate?negotiateVersion=1")"
token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("connectionToken",""))' "$neg" 2>/dev/null)"
c -D "$T/ws.h" -o /dev/null --http1.1 --max-time 3 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  -H "Origin: https://$HOST:$HTTPS_PORT" "https://$HOST:$HTTPS_PORT/_blazor?id=$token" >/dev/null 2>&1
st="$(head -n1 "$T/ws.h" 2>/dev/null | tr -d '\r')"
case "$st" in *" 101"*) ok "Blazor WebSocket through the proxy: $st";; *) bad "Blazor WebSocket: '$st' (negotiate: ${neg:0:80})";; esac

# published ports: only the proxy
pp="$(podman port "$P-portal" 2>/dev/null)"; xp="$(podman port "$P-proxy" 2>/dev/null | tr '\n' ' ')"
[ -z "$pp" ] && ok "portal publishes no port; proxy publishes: $xp" || bad "portal publishes: $pp"
# backend is internal: the portal has no default route (checked from its routing table; no traffic sent)
routes="$(podman exec "$P-portal" cat /proc/net/route 2>/dev/null | awk 'NR>1 && $2=="00000000"')"
[ -z "$routes" ] && ok "portal has no default route (backend network is internal)" || bad "portal has a default route: $routes"

for svc in proxy:101 portal:10001; do
  name="${svc%%:*}"; uid="${svc##*:}"
  st="$(podman exec "$P-$name" sh -c 'grep -E "^(Uid|CapEff|CapBnd|NoNewPrivs)" /proc/1/status' 2>&1 | tr -s '\t ' ' ' | tr '\n' ' ')"
  case "$st" in
    *"Uid: $uid $uid $uid $uid"*"CapEff: 0000000000000000"*"CapBnd: 0000000000000000"*"NoNewPrivs: 1"*)
      ok "$name: uid $uid, no capabilities, no-new-privileges";;
    *) bad "$name process status: $st";;
  esac
  if podman exec "$P-$name" sh -c 'touch /probe || touch /etc/probe || touch /usr/probe' >/dev/null 2>&1; then
    bad "$name: root filesystem writable"
  else
    ok "$name: root filesystem read-only"
  fi
done
podman exec "$P-proxy" sh -c 'ls /tmp' > "$T/proxy-tmp" 2>&1
grep -q nginx.pid "$T/proxy-tmp" && ok "proxy keeps pid/temp files in the /tmp tmpfs: $(tr '\n' ' ' < "$T/proxy-tmp")" \
  || bad "proxy /tmp: $(cat "$T/proxy-tmp")"
dperm="$(podman exec "$P-portal" stat -c '%u:%g %a' /data 2>&1)"
[ "$dperm" = "10001:10001 700" ] && ok "named volume /data: $dperm, files: $(podman exec "$P-portal" ls /data | tr '\n' ' ')" \
  || bad "/data: $dperm"
finish
