# shellcheck shell=bash disable=SC2034
# podman-env.sh — sourced by the scripts in this folder. Works out how `podman run` can start a container on
# this machine and leaves the result in two arrays:
#   PODMAN_RT      e.g. (--runtime runc)
#   PODMAN_LIMITS  e.g. (--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
# Usage:  . scripts/container/podman-env.sh; podman_detect IMAGE || exit 1; podman "${PODMAN_RT[@]}" run "${PODMAN_LIMITS[@]}" ...
#
# Why (see docs/container.md, "Verified on the build machine"):
#   - crun 1.8 refuses this sandbox kernel's hybrid cgroup v1/v2 layout ("cgroups in hybrid mode not
#     supported, drop all controllers from cgroupv2"), with and without --cgroups=disabled; runc 1.1
#     (apt-get install runc) starts containers.
#   - the session lacks CAP_SYS_RESOURCE, and podman's default rlimits for root (nofile/nproc 1048576) are
#     above the current hard limits, so setrlimit fails (EPERM) in either runtime: pass limits at or below them.
# RUNTIME=crun|runc forces a runtime.

PODMAN_RT=()
PODMAN_LIMITS=()

podman_detect() {
  local image="$1" hard_nofile hard_nproc cand out
  hard_nofile="$(ulimit -Hn)"; [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
  hard_nproc="$(ulimit -Hu)"; [ "$hard_nproc" = unlimited ] && hard_nproc=32768
  [ "$hard_nproc" -gt 32768 ] && hard_nproc=32768
  PODMAN_LIMITS=(--ulimit "nofile=$hard_nofile:$hard_nofile" --ulimit "nproc=$hard_nproc:$hard_nproc")
  if [ -n "${RUNTIME:-}" ] && [ "${RUNTIME}" != auto ]; then
    PODMAN_RT=(--runtime "$RUNTIME"); return 0
  fi
  for cand in crun runc; do
    command -v "$cand" >/dev/null 2>&1 || continue
    if out="$(podman --runtime "$cand" run --rm --pull=never --no-healthcheck "${PODMAN_LIMITS[@]}" \
                --entrypoint /bin/true "$image" 2>&1)"; then
      PODMAN_RT=(--runtime "$cand")
      printf '[podman-env] runtime: %s; %s\n' "$cand" "${PODMAN_LIMITS[*]}" >&2
      return 0
    fi
    printf '[podman-env] runtime %s cannot start a container here: %s\n' "$cand" "$(printf '%s' "$out" | tail -n1)" >&2
  done
  printf '[podman-env] no OCI runtime can start a container here (try: apt-get install -y runc)\n' >&2
  return 1
}
