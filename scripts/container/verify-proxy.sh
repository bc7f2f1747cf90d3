#!/usr/bin/env bash
# verify-proxy.sh — check deploy/nginx/nginx.conf with the host's nginx (Debian nginx 1.22) in front of a
# running portal, without Docker: the config is copied with only the deployment-specific values rewritten
# (listen ports on 127.0.0.1, the upstream address, pid/temp paths, certificate paths), then exercised with curl.
# Traffic goes to 127.0.0.1 only. One PASS/FAIL line per check, then "N passed, N failed".
#
#   PORTAL_URL=http://127.0.0.1:18080 scripts/container/verify-proxy.sh
#
# The portal can be the container from scripts/container/smoke-test.sh (KEEP=1) or `dotnet run`.
# Environment: PORTAL_URL (default http://127.0.0.1:18080), HTTPS_PORT (18443), HTTP_PORT (18081),
#              ECHO_PORT (18082, a header-echo upstream used for the forwarded-header checks).
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONF="$REPO_ROOT/deploy/nginx/nginx.conf"
PORTAL_URL="${PORTAL_URL:-http://127.0.0.1:18080}"
HTTPS_PORT="${HTTPS_PORT:-18443}"
HTTP_PORT="${HTTP_PORT:-18081}"
ECHO_PORT="${ECHO_PORT:-18082}"
HOST=admin.coderaft.test      # a name, not a numeric Host (matters once ModSecurity CRS is in front)

pass=0; fail=0
ok()  { pass=$((pass+1)); printf 'PASS %s\n' "$*"; }
bad() { fail=$((fail+1)); printf 'FAIL %s\n' "$*"; }

command -v nginx >/dev/null || { echo "nginx missing: apt-get install -y nginx-light"; exit 1; }
[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] && [ -d /usr/share/modsecurity-crs/rules ] \
  || { echo "ModSecurity missing: apt-get install -y libnginx-mod-http-modsecurity modsecurity-crs"; exit 1; }
command -v openssl >/dev/null && command -v curl >/dev/null && command -v python3 >/dev/null \
  || { echo "needs openssl, curl, python3"; exit 1; }
curl -s -o /dev/null --max-time 3 "$PORTAL_URL/healthz" || { echo "no portal at $PORTAL_URL"; exit 1; }

T="$(mktemp -d /tmp/coderaft-proxy.XXXXXX)"
nginx_pid=""; echo_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
  [ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$HOST" \
  -addext "subjectAltName=DNS:$HOST" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null

# render UPSTREAM -> nginx.conf under $T
render() {
  sed -e "s|^pid /tmp/nginx.pid;|pid $T/nginx.pid;|" \
      -e "s|/tmp/nginx-|$T/nginx-|g" \
      -e "s|listen 8080 default_server;|listen 127.0.0.1:$HTTP_PORT default_server;|" \
      -e "s|listen 8443 ssl default_server;|listen 127.0.0.1:$HTTPS_PORT ssl default_server;|" \
      -e "s|/run/secrets/proxy_tls_certificate;|$T/cert.pem;|" \
      -e "s|/run/secrets/proxy_tls_key;|$T/key.pem;|" \
      -e "s|set \$portal_upstream http://portal:8080;|set \$portal_upstream $1;|" \
      -e "s|access_log /dev/stdout coderaft;|access_log $T/access.log coderaft;|" \
      -e "s|error_log /dev/stderr warn;|error_log $T/error.log warn;|" \
      -e "s|/etc/nginx/coderaft/|$T/coderaft/|g" \
      "$CONF" > "$T/nginx.conf"
  # the files nginx.conf includes (rate limits, TLS, ModSecurity + CRS), with the same include prefix rewritten
  mkdir -p "$T/coderaft/modsec"
  for f in "$REPO_ROOT"/deploy/nginx/coderaft/*.conf; do sed "s|/etc/nginx/coderaft/|$T/coderaft/|g" "$f" > "$T/coderaft/$(basename "$f")"; done
  for f in "$REPO_ROOT"/deploy/nginx/modsec/*.conf; do sed "s|/etc/nginx/coderaft/|$T/coderaft/|g" "$f" > "$T/coderaft/modsec/$(basename "$f")"; done
  # every rewrite must have matched, or the check would test something else than the shipped file
  local miss=0
  for s in "pid $T/nginx.pid;" "listen 127.0.0.1:$HTTP_PORT" "listen 127.0.0.1:$HTTPS_PORT ssl" "$T/cert.pem;" \
           "$T/key.pem;" "set \$portal_upstream $1;" "access_log $T/access.log"; do
    grep -q -F -- "$s" "$T/nginx.conf" || { echo "render: '$s' not applied" >&2; miss=1; }
  done
  return $miss
}
start_nginx() {
  nginx -p "$T" -c "$T/nginx.conf" -g 'daemon off;' 2>>"$T/stderr.log" &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/" && return 0
    sleep 0.1
  done
  return 1
}
stop_nginx() { kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; nginx_pid=""; }
c() { curl -s --max-time 10 --resolve "$HOST:$HTTPS_PORT:127.0.0.1" --resolve "$HOST:$HTTP_PORT:127.0.0.1" --cacert "$T/cert.pem" "$@"; }

# ------------------------------------------------------------------ shipped config, in front of the portal
render "$PORTAL_URL" || { bad "could not render the config"; echo "$pass passed, $fail failed"; exit 1; }
if nginx -t -p "$T" -c "$T/nginx.conf" > "$T/t.log" 2>&1; then ok "nginx -t: $(nginx -v 2>&1)"; else bad "nginx -t: $(cat "$T/t.log")"; fi
start_nginx || { bad "nginx did not start: $(cat "$T/stderr.log" "$T/error.log" 2>/dev/null)"; echo "$pass passed, $fail failed"; exit 1; }

v="$(c -v -o /dev/null "https://$HOST:$HTTPS_PORT/healthz" 2>&1)"
grep -q 'SSL connection using TLSv1.3' <<<"$v" && ok "TLS 1.3 negotiated" || bad "TLS 1.3 not negotiated"
code="$(c -o /dev/null -w '%{http_code}' "https://$HOST:$HTTPS_PORT/healthz")"
[ "$code" = 200 ] && ok "GET https://.../healthz through the proxy = 200" || bad "healthz through proxy = $code"
if c -o /dev/null --tls-max 1.2 "https://$HOST:$HTTPS_PORT/healthz"; then bad "TLS 1.2 accepted"; else ok "TLS 1.2 refused (curl --tls-max 1.2 fails)"; fi
if c -o /dev/null --tlsv1.1 --tls-max 1.1 "https://$HOST:$HTTPS_PORT/healthz"; then bad "TLS 1.1 accepted"; else ok "TLS 1.1 refused"; fi

for path in /healthz /this-page-does-not-exist; do
  h="$(c -D - -o /dev/null "https://$HOST:$HTTPS_PORT$path" | tr -d '\r')"
  n="$(grep -ci '^strict-transport-security:' <<<"$h")"
  val="$(grep -i '^strict-transport-security:' <<<"$h" | head -n1 | cut -d' ' -f2-)"
  st="$(head -n1 <<<"$h" | cut -d' ' -f2)"
  if [ "$n" = 1 ] && [ "$val" = "max-age=31536000; includeSubDomains" ]; then
    ok "HSTS exactly once on $path (status $st): $val"
  else
    bad "HSTS on $path (status $st): count=$n value='$val'"
  fi
done
h="$(c -D - -o /dev/null "https://$HOST:$HTTPS_PORT/healthz" | tr -d '\r')"
grep -qi '^server: nginx$' <<<"$h" && ok "server_tokens off (Server: nginx, no version)" || bad "Server header: $(grep -i '^server:' <<<"$h")"

loc="$(c -o /dev/null -w '%{http_code} %{redirect_url}' "http://$HOST:$HTTP_PORT/account?x=1")"
[ "$loc" = "301 https://$HOST/account?x=1" ] && ok "plain HTTP redirects: $loc" || bad "HTTP redirect: $loc"

# Blazor circuit: negotiate, then the WebSocket upgrade through /_blazor
neg="$(c -X POST -H 'Content-Type: text/plain;charset=UTF-8' -d '' "https://$HOST:$HTTPS_PORT/_blazor/negotiate?negotiateVersion=1")"
token="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("connectionToken",""))' "$neg" 2>/dev/null)"
if [ -n "$token" ]; then
  ok "POST /_blazor/negotiate through the proxy: connection token received"
  c -D "$T/ws.h" -o /dev/null --http1.1 --max-time 3 \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H "Origin: https://$HOST:$HTTPS_PORT" \
    "https://$HOST:$HTTPS_PORT/_blazor?id=$token" >/dev/null 2>&1
  st="$(head -n1 "$T/ws.h" 2>/dev/null | tr -d '\r')"
  case "$st" in *" 101"*) ok "WebSocket upgrade on /_blazor: $st";; *) bad "WebSocket upgrade on /_blazor: '$st'";; esac
  sleep 0.5
  if grep -q -F "$token" "$T/access.log"; then bad "connection token written to the access log"
  else ok "access log has no query strings (Blazor connection token not logged)"; fi
else
  bad "negotiate failed: $(printf '%s' "$neg" | head -c 200)"
fi
stop_nginx

# ------------------------------------------------------------------ forwarded headers (header-echo upstream)
cat > "$T/echo.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Strict-Transport-Security", "max-age=60")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$T/echo.py" "$ECHO_PORT" & echo_pid=$!
sleep 0.5
render "http://127.0.0.1:$ECHO_PORT" && start_nginx || bad "nginx with echo upstream did not start"
for path in / /_blazor; do
  j="$(c -H 'X-Forwarded-For: 203.0.113.66' -H 'X-Forwarded-Proto: http' "https://$HOST:$HTTPS_PORT$path")"
  got="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get("x-forwarded-for"), d.get("x-forwarded-proto"), d.get("host"), d.get("x-forwarded-host"))' "$j" 2>/dev/null)"
  [ "$got" = "127.0.0.1 https $HOST:$HTTPS_PORT $HOST:$HTTPS_PORT" ] \
    && ok "$path: X-Forwarded-For set to the client (spoofed value dropped), Proto https, Host kept: $got" \
    || bad "$path forwarded headers: $got"
done
h="$(c -D - -o /dev/null "https://$HOST:$HTTPS_PORT/" | tr -d '\r')"
n="$(grep -ci '^strict-transport-security:' <<<"$h")"
[ "$n" = 1 ] && grep -qi '^strict-transport-security: max-age=31536000; includeSubDomains$' <<<"$h" \
  && ok "upstream's own HSTS header replaced by the proxy's (one header)" || bad "HSTS with an upstream HSTS: $n headers"
stop_nginx

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
