#!/usr/bin/env bash
# smoke-test.sh — run the built image the way deploy/docker-compose.yml runs the portal (non-root uid 10001,
# read-only root filesystem, tmpfs /tmp, /data volume, no capabilities, no-new-privileges, secret as a file)
# and check it from the host. Traffic goes to 127.0.0.1 only. Prints one PASS/FAIL line per check and a
# closing "N passed, N failed" line; exit code 0 only when nothing failed.
#
#   scripts/container/smoke-test.sh                      # image coderaft-admin:dev, host port 18080
#   IMAGE=coderaft-admin:1.2.3 PORT=18081 scripts/container/smoke-test.sh
#
# Environment: IMAGE, PORT, RUNTIME (crun|runc|auto; default auto: the first that can start a container here,
#              see podman-env.sh),
#              KEEP=1 (leave the container running for inspection).
#
# Sandbox notes (see docs/container.md, "Verified on the build machine", and podman-env.sh): crun cannot start
# containers on this kernel's hybrid cgroup layout (runc can); rlimits must stay at or below the current hard
# limits; no systemd, so podman cannot schedule the image HEALTHCHECK (it logs "unable to get systemd
# connection" on every start/stop; that noise goes to $WORK/podman.err): the script runs it with
# `podman healthcheck run`.
set -uo pipefail

IMAGE="${IMAGE:-coderaft-admin:dev}"
PORT="${PORT:-18080}"
RUNTIME="${RUNTIME:-auto}"
NAME="coderaft-smoke-$$"
BASE="http://127.0.0.1:$PORT"

pass=0; fail=0
ok()  { pass=$((pass+1)); printf 'PASS %s\n' "$*"; }
bad() { fail=$((fail+1)); printf 'FAIL %s\n' "$*"; }
log() { printf '[smoke] %s\n' "$*" >&2; }

command -v podman >/dev/null || { echo "podman missing"; exit 1; }
command -v curl >/dev/null || { echo "curl missing (host side check)"; exit 1; }
podman image exists "$IMAGE" || { echo "image $IMAGE not found: run scripts/container/build.sh"; exit 1; }

WORK="$(mktemp -d /tmp/coderaft-smoke.XXXXXX)"
containers=()
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    for c in "${containers[@]}"; do podman rm -f -t 3 "$c" >/dev/null 2>&1; done
    rm -rf "$WORK"
  else
    log "KEEP=1: containers ${containers[*]} and $WORK left in place"
  fi
}
trap cleanup EXIT

# how podman can start a container here (runtime, rlimits): see podman-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/podman-env.sh"
if ! podman_detect "$IMAGE"; then bad "no OCI runtime can start a container on this machine"; echo "$pass passed, $fail failed"; exit 1; fi
rt=("${PODMAN_RT[@]}"); limits=("${PODMAN_LIMITS[@]}")

# --read-only-tmpfs=false: podman would otherwise add writable tmpfs mounts on /run and /var/tmp, which
# Docker's read_only does not; only /tmp (and /data) may be writable, as in deploy/docker-compose.yml.
# shellcheck disable=SC2054  # the commas are tmpfs mount options
hardening=(--read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,noexec,size=64m,mode=1777
           --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges
           )

wait_healthz() { # $1 = container; waits at most 60 s
  local code
  for _ in $(seq 1 60); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" 2>/dev/null)"
    [ "$code" = 200 ] && return 0
    [ "$(podman inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || return 1
    sleep 1
  done
  return 1
}

# ---------------------------------------------------------------- 1. master secret from the environment
mkdir -p "$WORK/data1" && chown 10001:10001 "$WORK/data1" && chmod 0700 "$WORK/data1"
secret="$(head -c 32 /dev/urandom | base64)"
c1="$NAME-env"; containers+=("$c1")
t0=$(date +%s)
if podman "${rt[@]}" run -d --name "$c1" --pull=never "${limits[@]}" "${hardening[@]}" \
     -e CODERAFT_MASTER_SECRET="$secret" -v "$WORK/data1:/data" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null 2>>"$WORK/podman.err"; then
  if wait_healthz "$c1"; then
    ok "env secret: GET /healthz = 200 after $(( $(date +%s) - t0 )) s"
  else
    bad "env secret: /healthz not 200 within 60 s"; podman logs "$c1" 2>&1 | tail -n 40 | sed 's/^/    /'
  fi
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/readyz")"
  [ "$code" = 200 ] && ok "GET /readyz = 200" || bad "GET /readyz = $code"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/")"
  case "$code" in 200|302) ok "GET / = $code";; *) bad "GET / = $code";; esac
  podman healthcheck run "$c1" >/dev/null 2>&1 && ok "image HEALTHCHECK (bash /dev/tcp, no curl) reports healthy" \
    || bad "image HEALTHCHECK failed"
  id_out="$(podman exec "$c1" id -u 2>&1)"
  [ "$id_out" = 10001 ] && ok "process runs as uid 10001" || bad "process uid is $id_out"
  caps="$(podman exec "$c1" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/1/status' 2>&1 | tr -s '\t ' ' ' | tr '\n' ' ')"
  case "$caps" in
    *"CapEff: 0000000000000000"*"CapBnd: 0000000000000000"*"NoNewPrivs: 1"*) ok "no capabilities, no-new-privileges ($caps)";;
    *) bad "capabilities/no-new-privileges: $caps";;
  esac
  if podman exec "$c1" sh -c 'touch /app/probe || touch /etc/probe || touch /probe' >/dev/null 2>&1; then
    bad "root filesystem is writable"
  else
    ok "root filesystem is read-only (/, /etc, /app)"
  fi
  podman exec "$c1" sh -c 'touch /tmp/probe && rm /tmp/probe' >/dev/null 2>&1 && ok "/tmp is writable (tmpfs, noexec)" \
    || bad "/tmp not writable"
  if [ -n "$(ls -A "$WORK/data1")" ] && [ "$(stat -c %u "$WORK/data1/$(ls -A "$WORK/data1" | head -n1)")" = 10001 ]; then
    ok "app wrote its state to /data as uid 10001: $(ls -A "$WORK/data1" | tr '\n' ' ')"
  else
    bad "nothing written to /data"
  fi
  # the container's own writable layer must stay empty; podman itself drops /etc/mtab and /run/.containerenv
  # there before the container starts, so those entries are not the app's doing
  upper="$(podman inspect -f '{{.GraphDriver.Data.UpperDir}}' "$c1" 2>/dev/null)"
  if [ -d "$upper" ]; then
    changed="$(cd "$upper" && find . -mindepth 1 ! -path ./etc ! -path ./etc/mtab ! -path ./run ! -path ./run/.containerenv \
                 ! -path ./run/secrets ! -path ./run/secrets/coderaft_master_secret | head -n 20 | tr '\n' ' ')"
    [ -z "$changed" ] && ok "container layer: nothing written outside /tmp and /data" || bad "written to the container layer: $changed"
  else
    changed="$(podman diff "$c1" 2>/dev/null | grep -v -x -E '(C|A) /(etc|etc/mtab|run|run/\.containerenv|run/secrets.*)' | tr '\n' ' ')"
    [ -z "$changed" ] && ok "podman diff: nothing written outside /tmp and /data" || bad "podman diff: $changed"
  fi
  podman logs "$c1" > "$WORK/c1.log" 2>&1
  if grep -q -F "$secret" "$WORK/c1.log"; then bad "the master secret appears in the container log"; else ok "master secret not in the log"; fi
  podman stop -t 10 "$c1" >/dev/null 2>&1
  ec="$(podman inspect -f '{{.State.ExitCode}}' "$c1")"
  [ "$ec" = 0 ] && ok "SIGTERM: clean shutdown (exit 0)" || bad "exit code after stop: $ec"
else
  bad "could not start container $c1"
fi

# ---------------------------------------------------------------- 2. restart on the same /data (state kept)
c2="$NAME-restart"; containers+=("$c2")
if podman "${rt[@]}" run -d --name "$c2" --pull=never "${limits[@]}" "${hardening[@]}" \
     -e CODERAFT_MASTER_SECRET="$secret" -v "$WORK/data1:/data" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null 2>>"$WORK/podman.err" \
   && wait_healthz "$c2"; then
  ok "restart on the same /data with the same secret: healthy"
else
  bad "restart on the same /data failed"; podman logs "$c2" 2>&1 | tail -n 40 | sed 's/^/    /'
fi
podman rm -f -t 5 "$c2" >/dev/null 2>&1

# ---------------------------------------------------------------- 3. master secret as a file (Docker-secret style)
# Compose implements a file-based secret as a read-only bind mount at /run/secrets/NAME; do the same.
# (podman's own `--secret` cannot be combined with --read-only on podman 4.3: it creates the mount point in the
# read-only root filesystem and fails; plain bind mounts work.)
mkdir -p "$WORK/data2" "$WORK/secrets" && chown 10001:10001 "$WORK/data2" && chmod 0700 "$WORK/data2"
head -c 32 /dev/urandom | base64 | tr -d '\n' > "$WORK/secrets/coderaft_master_secret"
chown 10001:10001 "$WORK/secrets/coderaft_master_secret"; chmod 0400 "$WORK/secrets/coderaft_master_secret"
c3="$NAME-file"; containers+=("$c3")
if podman "${rt[@]}" run -d --name "$c3" --pull=never "${limits[@]}" "${hardening[@]}" \
     -v "$WORK/secrets/coderaft_master_secret:/run/secrets/coderaft_master_secret:ro" \
     -e Encryption__MasterSecretFile=/run/secrets/coderaft_master_secret \
     -v "$WORK/data2:/data" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null 2>>"$WORK/podman.err" \
   && wait_healthz "$c3"; then
  ok "secret file /run/secrets/coderaft_master_secret (Encryption__MasterSecretFile): healthy"
else
  bad "secret-file start failed"; podman logs "$c3" 2>&1 | tail -n 40 | sed 's/^/    /'
fi
podman rm -f -t 5 "$c3" >/dev/null 2>&1

# ---------------------------------------------------------------- 4. no secret: Production must refuse to start
mkdir -p "$WORK/data3" && chown 10001:10001 "$WORK/data3" && chmod 0700 "$WORK/data3"
c4="$NAME-nosecret"; containers+=("$c4")
timeout 60 podman "${rt[@]}" run --name "$c4" --pull=never "${limits[@]}" "${hardening[@]}" \
  -v "$WORK/data3:/data" "$IMAGE" > "$WORK/c4.out" 2> "$WORK/c4.err"
ec=$?
if [ "$ec" != 0 ] && [ "$ec" != 124 ]; then
  ok "no master secret: refuses to start (exit $ec): $(grep -v "^time=" "$WORK/c4.err" | tail -n1 | cut -c1-160)"
else
  bad "no master secret: exit $ec (expected a refusal)"
fi
[ -z "$(ls -A "$WORK/data3")" ] && ok "no master secret: nothing generated in /data" || bad "no secret but /data has: $(ls -A "$WORK/data3")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
