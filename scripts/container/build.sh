#!/usr/bin/env bash
# build.sh — build the CodeRaft.Admin image with podman on a machine without a container registry.
#
#   scripts/container/build.sh                 # -> coderaft-admin:dev
#   TAG=coderaft-admin:1.2.3 scripts/container/build.sh
#
# What it does differently from a plain `docker build -t coderaft-admin .` (which is all a machine that
# reaches mcr.microsoft.com needs):
#   - creates the local stand-ins for mcr.microsoft.com/dotnet/{sdk,aspnet}:10.0 first if they are missing
#     (scripts/container/make-local-base-images.sh) and never tries to pull (--pull=never)
#   - --isolation=chroot: RUN steps need neither user namespaces nor cgroups (neither works for a full OCI
#     runtime on this sandbox kind; see docs/container.md)
#   - --format docker: the OCI image format has no HEALTHCHECK, podman would drop it
#   - mounts the host NuGet cache (~/.nuget/packages) as an overlay (:O) at /root/.nuget/packages for the
#     restore: packages already on the host are not downloaded again, anything the build writes there is
#     thrown away, the host cache is never modified, and nothing of it ends up in an image layer.
#     NUGET_CACHE=none disables it (restore then comes from nuget.org, which RUN steps reach through the host
#     network with chroot isolation).
#   - mounts the host's /etc/ssl/certs read-only into RUN steps (HOST_CA_CERTS=none disables) and forwards
#     NUGET_CERT_REVOCATION_MODE as a build argument when it is set, so NuGet over a TLS-inspecting proxy
#     works the same as on the host
#
# Environment: TAG (default coderaft-admin:dev), NUGET_CACHE (default ~/.nuget/packages, or none),
#              HOST_CA_CERTS (default /etc/ssl/certs, or none), NUGET_CERT_REVOCATION_MODE (forwarded),
#              STORAGE_DRIVER (e.g. vfs; default: podman's configured driver, overlay works here),
#              EXTRA_BUILD_ARGS (appended to podman build).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG="${TAG:-coderaft-admin:dev}"
NUGET_CACHE="${NUGET_CACHE:-$HOME/.nuget/packages}"

log() { printf '[build] %s\n' "$*" >&2; }

command -v podman >/dev/null 2>&1 || { log "podman is not installed (apt-get install -y podman buildah)"; exit 1; }

global=()
[ -n "${STORAGE_DRIVER:-}" ] && global+=(--storage-driver "$STORAGE_DRIVER")

if ! podman "${global[@]}" image exists mcr.microsoft.com/dotnet/sdk:10.0 \
   || ! podman "${global[@]}" image exists mcr.microsoft.com/dotnet/aspnet:10.0; then
  log "local base images missing: running make-local-base-images.sh"
  "$REPO_ROOT/scripts/container/make-local-base-images.sh"
fi

args=(build --isolation=chroot --pull=never --format docker -t "$TAG" -f "$REPO_ROOT/Dockerfile")
if [ "$NUGET_CACHE" != none ] && [ -d "$NUGET_CACHE" ]; then
  args+=(--volume "$NUGET_CACHE:/root/.nuget/packages:O")
  log "host NuGet cache $NUGET_CACHE mounted as an overlay (host copy stays untouched)"
else
  log "no host NuGet cache mounted: packages come from the configured NuGet sources"
fi
# Trust the host's CA bundle during the build only (a TLS-inspecting egress proxy, as on the offline build
# machine, or a corporate CA): bind-mounted read-only, never committed into a layer. HOST_CA_CERTS=none disables.
HOST_CA_CERTS="${HOST_CA_CERTS:-/etc/ssl/certs}"
if [ "$HOST_CA_CERTS" != none ] && [ -d "$HOST_CA_CERTS" ]; then
  args+=(--volume "$HOST_CA_CERTS:/etc/ssl/certs:ro")
fi
[ -n "${NUGET_CERT_REVOCATION_MODE:-}" ] && args+=(--build-arg "NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE")
# shellcheck disable=SC2206
[ -n "${EXTRA_BUILD_ARGS:-}" ] && args+=(${EXTRA_BUILD_ARGS})

t0=$(date +%s)
log "podman ${global[*]} ${args[*]} $REPO_ROOT"
podman "${global[@]}" "${args[@]}" "$REPO_ROOT"
log "built $TAG in $(( $(date +%s) - t0 )) s"
podman "${global[@]}" image inspect --format \
  'user={{.Config.User}} entrypoint={{.Config.Entrypoint}} exposed={{.Config.ExposedPorts}} volumes={{.Config.Volumes}} healthcheck={{.Config.Healthcheck}}' \
  "$TAG" >&2
