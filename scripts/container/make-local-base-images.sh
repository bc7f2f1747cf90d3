#!/usr/bin/env bash
# make-local-base-images.sh — create LOCAL STAND-INS for the Microsoft .NET base images on a machine that
# cannot reach a container registry, so that the repository's Dockerfile builds unchanged with podman/buildah.
#
# Creates (in the local containers/storage of root):
#   mcr.microsoft.com/dotnet/runtime-deps:10.0  Debian bookworm minbase + ca-certificates, libssl3, zlib, tzdata,
#                                               libstdc++, libicu; user `app` (uid 1654) like the real image
#   mcr.microsoft.com/dotnet/aspnet:10.0        runtime-deps + the host's dotnet host, host/fxr,
#                                               shared/Microsoft.NETCore.App and shared/Microsoft.AspNetCore.App
#   mcr.microsoft.com/dotnet/sdk:10.0           runtime-deps + the host's whole .NET SDK directory
#
# These are NOT Microsoft's images: they carry the label `org.coderaft.local-stand-in=true`. Microsoft's .NET 10
# `10.0` tags are Ubuntu 24.04 based; only Debian mirrors are reachable on the offline build machine, so the
# stand-ins are Debian 12. On a machine that reaches mcr.microsoft.com, do not run this script;
# `docker build` / `podman build` pull the real ones.
#
# Needs: root (buildah mount), network access to the Debian mirror configured in /etc/apt, a .NET 10 install on
# the host. Installs debootstrap and buildah with apt-get when missing.
#
# Environment overrides:
#   WORK_DIR    cache folder for the Debian root filesystem tarball   (default /var/tmp/coderaft-base-images)
#   DOTNET_DIR  host .NET install to copy                              (default: the folder of `dotnet`)
#   MIRROR      Debian mirror                                          (default: read from /etc/apt)
#   SECURITY_MIRROR  Debian security mirror                            (default: read from /etc/apt)
#   SUITE       Debian suite                                           (default bookworm)
# Options:
#   --rebuild-rootfs   ignore the cached root filesystem tarball and run debootstrap again
set -euo pipefail

SUITE="${SUITE:-bookworm}"
WORK_DIR="${WORK_DIR:-/var/tmp/coderaft-base-images}"
REBUILD_ROOTFS=0
for arg in "$@"; do
  case "$arg" in
    --rebuild-rootfs) REBUILD_ROOTFS=1 ;;
    -h|--help) awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[make-local-base-images] %s\n' "$*" >&2; }
die() { printf '[make-local-base-images] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (buildah mount and debootstrap need it)"

start_all=$(date +%s)

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v buildah >/dev/null 2>&1 || need_pkgs+=(buildah)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null; }
fi

# ---------------------------------------------------------------- .NET on the host
if [ -z "${DOTNET_DIR:-}" ]; then
  command -v dotnet >/dev/null 2>&1 || die "dotnet not found on PATH; set DOTNET_DIR"
  DOTNET_DIR="$(dirname "$(readlink -f "$(command -v dotnet)")")"
fi
[ -x "$DOTNET_DIR/dotnet" ] || die "$DOTNET_DIR/dotnet is not executable"

# newest 10.0.x of each component (the host may hold several)
newest() { local d; for d in "$1"/10.0.*; do [ -d "$d" ] && basename "$d"; done | sort -V | tail -n1; }
NETCORE_VER="$(newest "$DOTNET_DIR/shared/Microsoft.NETCore.App")"
ASPNET_VER="$(newest "$DOTNET_DIR/shared/Microsoft.AspNetCore.App")"
FXR_VER="$(newest "$DOTNET_DIR/host/fxr")"
SDK_VER="$(newest "$DOTNET_DIR/sdk")"
[ -n "$NETCORE_VER" ] || die "no Microsoft.NETCore.App 10.0.x under $DOTNET_DIR/shared"
[ -n "$ASPNET_VER" ]  || die "no Microsoft.AspNetCore.App 10.0.x under $DOTNET_DIR/shared"
[ -n "$FXR_VER" ]     || die "no host/fxr 10.0.x under $DOTNET_DIR/host/fxr"
[ -n "$SDK_VER" ]     || die "no SDK 10.0.x under $DOTNET_DIR/sdk"
log "host .NET: $DOTNET_DIR  (runtime $NETCORE_VER, aspnet $ASPNET_VER, hostfxr $FXR_VER, sdk $SDK_VER)"

# ---------------------------------------------------------------- Debian mirror from /etc/apt
detect_mirrors() {
  local f uri suites
  # deb822 files
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # blank-line separated stanzas
    while IFS= read -r -d $'\x1e' stanza; do
      uri="$(printf '%s\n' "$stanza" | sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' | head -n1)"
      suites="$(printf '%s\n' "$stanza" | sed -n 's/^Suites:[[:space:]]*//p' | head -n1)"
      [ -n "$uri" ] || continue
      case " $suites " in
        *" $SUITE-security "*) : "${DET_SECURITY:=$uri}" ;;
        *" $SUITE "*)          : "${DET_MIRROR:=$uri}" ;;
      esac
    done < <(awk 'BEGIN{RS=""; ORS="\x1e"} {print}' "$f")
  done
  # one-line format
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    while read -r typ rest; do
      [ "$typ" = deb ] || continue
      rest="$(printf '%s' "$rest" | sed 's/\[[^]]*\][[:space:]]*//')"
      uri="$(printf '%s' "$rest" | awk '{print $1}')"; suites="$(printf '%s' "$rest" | awk '{print $2}')"
      case "$suites" in
        "$SUITE-security"|"$SUITE/updates") : "${DET_SECURITY:=$uri}" ;;
        "$SUITE") : "${DET_MIRROR:=$uri}" ;;
      esac
    done < "$f"
  done
}
DET_MIRROR=""; DET_SECURITY=""
detect_mirrors
MIRROR="${MIRROR:-${DET_MIRROR:-http://deb.debian.org/debian}}"
SECURITY_MIRROR="${SECURITY_MIRROR:-${DET_SECURITY:-}}"
log "Debian mirror: $MIRROR  security: ${SECURITY_MIRROR:-<none>}"

# ---------------------------------------------------------------- root filesystem (cached tarball)
mkdir -p "$WORK_DIR"
ROOTFS_TAR="$WORK_DIR/rootfs-$SUITE-minbase.tar"
ROOTFS="$WORK_DIR/rootfs-$SUITE"
# what the real runtime-deps image installs (ICU is not needed by this app: InvariantGlobalization=true,
# but other .NET apps built on this stand-in may want it, as the real image ships it)
INCLUDE="ca-certificates,libc6,libgcc-s1,libicu72,libssl3,libstdc++6,tzdata,zlib1g"

chroot_mounts_up() {
  mount -t proc proc "$ROOTFS/proc"
  mount --bind /dev "$ROOTFS/dev"
}
chroot_mounts_down() {
  umount "$ROOTFS/dev" 2>/dev/null || true
  umount "$ROOTFS/proc" 2>/dev/null || true
}

if [ "$REBUILD_ROOTFS" = 1 ] || [ ! -s "$ROOTFS_TAR" ]; then
  t0=$(date +%s)
  rm -rf "$ROOTFS" "$ROOTFS_TAR.tmp"
  log "debootstrap --variant=minbase $SUITE (this downloads ~40 MB from $MIRROR)"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK_DIR/debootstrap.log" >&2; die "debootstrap failed (full log: $WORK_DIR/debootstrap.log)"; }

  # apt sources inside the image: the same mirror, plus updates and security, then apply the updates
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [ -n "$SECURITY_MIRROR" ] && echo "deb $SECURITY_MIRROR $SUITE-security main"
  } > "$ROOTFS/etc/apt/sources.list"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  trap chroot_mounts_down EXIT
  chroot_mounts_up
  log "applying $SUITE-updates / $SUITE-security inside the root filesystem"
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq upgrade && apt-get clean' > "$WORK_DIR/upgrade.log" 2>&1 \
    || { tail -n 30 "$WORK_DIR/upgrade.log" >&2; die "apt-get upgrade in the root filesystem failed"; }
  # same non-root user as the real runtime-deps image (APP_UID=1654); our Dockerfile adds its own uid 10001
  chroot "$ROOTFS" /usr/sbin/groupadd --system --gid 1654 app
  chroot "$ROOTFS" /usr/sbin/useradd --uid 1654 --gid 1654 --no-create-home --home-dir /home/app \
    --shell /usr/sbin/nologin app
  chroot_mounts_down
  trap - EXIT

  # image hygiene: no package lists, caches, logs, host resolver or hostname
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
         "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/* \
         "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
  : > "$ROOTFS/etc/resolv.conf"
  : > "$ROOTFS/etc/hostname"
  [ -f "$ROOTFS/etc/machine-id" ] && : > "$ROOTFS/etc/machine-id"

  tar --numeric-owner --xattrs -C "$ROOTFS" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$ROOTFS"
  log "root filesystem ready in $(( $(date +%s) - t0 )) s: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
else
  log "using cached root filesystem $ROOTFS_TAR (pass --rebuild-rootfs to refresh)"
fi

# ---------------------------------------------------------------- images
CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# images these tags point at now; removed at the end when nothing uses them any more
old_ids=()
for tag in runtime-deps aspnet sdk; do
  id="$(buildah images --quiet --no-trunc "mcr.microsoft.com/dotnet/$tag:10.0" 2>/dev/null | head -n1 || true)"
  [ -n "$id" ] && old_ids+=("$id")
done
common_config() {
  local ctr="$1" title="$2"
  buildah config \
    --label "org.coderaft.local-stand-in=true" \
    --label "org.opencontainers.image.title=$title (local stand-in)" \
    --label "org.opencontainers.image.description=Built by scripts/container/make-local-base-images.sh from Debian $SUITE and the host .NET install; not a Microsoft image" \
    --label "org.opencontainers.image.created=$CREATED" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env APP_UID=1654 \
    --env ASPNETCORE_HTTP_PORTS=8080 \
    --env DOTNET_RUNNING_IN_CONTAINER=true \
    --workingdir / \
    --cmd /bin/bash \
    "$ctr"
}
cleanup_ctr() { buildah rm "$1" >/dev/null 2>&1 || true; }

# runtime-deps
t0=$(date +%s)
ctr="$(buildah from --pull=never scratch)"
trap 'cleanup_ctr "$ctr"' EXIT
mnt="$(buildah mount "$ctr")"
tar --numeric-owner --xattrs -C "$mnt" -xpf "$ROOTFS_TAR"
buildah umount "$ctr" >/dev/null
common_config "$ctr" "runtime-deps"
buildah commit --quiet --format docker --rm "$ctr" mcr.microsoft.com/dotnet/runtime-deps:10.0 >/dev/null
trap - EXIT
log "mcr.microsoft.com/dotnet/runtime-deps:10.0 committed ($(( $(date +%s) - t0 )) s)"

# aspnet: only the pieces a framework-dependent ASP.NET Core app needs
t0=$(date +%s)
ctr="$(buildah from --pull=never mcr.microsoft.com/dotnet/runtime-deps:10.0)"
trap 'cleanup_ctr "$ctr"' EXIT
mnt="$(buildah mount "$ctr")"
d="$mnt/usr/share/dotnet"
mkdir -p "$d/host/fxr" "$d/shared/Microsoft.NETCore.App" "$d/shared/Microsoft.AspNetCore.App"
cp -a "$DOTNET_DIR/dotnet" "$d/"
cp -a "$DOTNET_DIR"/LICENSE.txt "$DOTNET_DIR"/ThirdPartyNotices.txt "$d/" 2>/dev/null || true
cp -a "$DOTNET_DIR/host/fxr/$FXR_VER" "$d/host/fxr/"
cp -a "$DOTNET_DIR/shared/Microsoft.NETCore.App/$NETCORE_VER" "$d/shared/Microsoft.NETCore.App/"
cp -a "$DOTNET_DIR/shared/Microsoft.AspNetCore.App/$ASPNET_VER" "$d/shared/Microsoft.AspNetCore.App/"
chown -R 0:0 "$d"
ln -sf /usr/share/dotnet/dotnet "$mnt/usr/bin/dotnet"
buildah umount "$ctr" >/dev/null
common_config "$ctr" "aspnet"
buildah config --env "DOTNET_VERSION=$NETCORE_VER" --env "ASPNET_VERSION=$ASPNET_VER" "$ctr"
buildah commit --quiet --format docker --rm "$ctr" mcr.microsoft.com/dotnet/aspnet:10.0 >/dev/null
trap - EXIT
log "mcr.microsoft.com/dotnet/aspnet:10.0 committed ($(( $(date +%s) - t0 )) s)"

# sdk: the whole host SDK directory (sdk, packs, templates, sdk-manifests, shared runtimes, host)
t0=$(date +%s)
ctr="$(buildah from --pull=never mcr.microsoft.com/dotnet/runtime-deps:10.0)"
trap 'cleanup_ctr "$ctr"' EXIT
mnt="$(buildah mount "$ctr")"
mkdir -p "$mnt/usr/share/dotnet"
cp -a "$DOTNET_DIR/." "$mnt/usr/share/dotnet/"
chown -R 0:0 "$mnt/usr/share/dotnet"
ln -sf /usr/share/dotnet/dotnet "$mnt/usr/bin/dotnet"
buildah umount "$ctr" >/dev/null
common_config "$ctr" "sdk"
buildah config \
  --env "DOTNET_VERSION=$NETCORE_VER" --env "ASPNET_VERSION=$ASPNET_VER" --env "DOTNET_SDK_VERSION=$SDK_VER" \
  --env DOTNET_GENERATE_ASPNET_CERTIFICATE=false --env DOTNET_USE_POLLING_FILE_WATCHER=true \
  --env NUGET_XMLDOC_MODE=skip --env DOTNET_NOLOGO=true --env DOTNET_CLI_TELEMETRY_OPTOUT=1 \
  "$ctr"
buildah commit --quiet --format docker --rm "$ctr" mcr.microsoft.com/dotnet/sdk:10.0 >/dev/null
trap - EXIT
log "mcr.microsoft.com/dotnet/sdk:10.0 committed ($(( $(date +%s) - t0 )) s)"

# previous generation: only untagged images nothing else depends on go (buildah refuses the others)
for id in "${old_ids[@]}"; do
  [ -n "$(buildah images --quiet --no-trunc --filter dangling=true 2>/dev/null | grep -x "$id")" ] || continue
  buildah rmi "$id" >/dev/null 2>&1 || true
done
buildah images --filter reference='mcr.microsoft.com/dotnet/*' >&2
log "done in $(( $(date +%s) - start_all )) s"
