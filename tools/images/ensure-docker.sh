#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io when dockerd is missing and starts
# dockerd in the background when no engine answers (both need root; docs/images.md). Used by
# tools/images/build.sh and .ci/run.
# Env: DOCKERD_LOG (${TMPDIR:-/tmp}/moemesh-dockerd.log).
set -euo pipefail
log() { echo "docker: $*" >&2; }
answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

if answers; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    log "no Docker engine answers and dockerd is not installed: install docker.io as root"
    exit 1
  fi
  log "installing docker.io (apt-get)"
  apt-get update -qq
  # without an init system the package may fail to start its service: starting dockerd is done below
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null \
    || command -v dockerd >/dev/null 2>&1 \
    || { log "apt-get could not install docker.io"; exit 1; }
fi
if answers; then exit 0; fi # the package may have started it
if [ "$(id -u)" != 0 ]; then
  if [ -S /var/run/docker.sock ]; then
    log "a Docker engine runs but does not answer this user: join the docker group, or run as root"
  else
    log "no Docker engine answers; start dockerd as root"
  fi
  exit 1
fi
dockerd_log="${DOCKERD_LOG:-${TMPDIR:-/tmp}/moemesh-dockerd.log}"
log "starting dockerd (log: $dockerd_log)"
nohup dockerd >"$dockerd_log" 2>&1 &
for _ in $(seq 1 60); do
  if answers; then
    log "engine $(docker version -f '{{.Server.Version}}') answers"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $dockerd_log:"
tail -n 20 "$dockerd_log" >&2 || true
exit 1
