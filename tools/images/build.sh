#!/usr/bin/env bash
# Builds the container images of the four services in one go (docs/images.md):
#   1. the runnable jars (./mvnw package, no tests, no AOT cache: the images do not use it);
#   2. a Docker engine: starts dockerd when none answers (installs Debian's docker.io first when
#      it is missing; both need root);
#   3. the base image: BASE_IMAGE when it is present or can be pulled, else LOCAL_BASE_IMAGE,
#      assembled from the local JDK 25 by base-image.sh (jlink, no registry) when it is not there yet;
#   4. docker build of <module>/Dockerfile, tagged moemesh/<module>:VERSION and moemesh/<module>:latest.
#
# Usage: tools/images/build.sh [--skip-jars] [--rebuild-base]
#   --skip-jars     use the jars in <module>/target as they are
#   --rebuild-base  assemble LOCAL_BASE_IMAGE again (after a JDK update)
# Env: BASE_IMAGE (eclipse-temurin:25-jre), LOCAL_BASE_IMAGE (moemesh/jre:25), VERSION (0.1.0),
#      JAVA_HOME (found under /usr/lib/jvm if it is not a JDK 25).
#      BASE_IMAGE may be pinned by digest, NAME[:TAG]@sha256:<64 hex> (docs/images.md): then it is
#      used only if that exact image is present or can be pulled, never replaced by the local base.
# Each image is labelled with the base it was built on (org.opencontainers.image.base.name/.digest).
set -euo pipefail
shopt -s inherit_errexit
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

modules=(expert-service router-service gateway-service placement-controller)
BASE_IMAGE="${BASE_IMAGE:-eclipse-temurin:25-jre}"
LOCAL_BASE_IMAGE="${LOCAL_BASE_IMAGE:-moemesh/jre:25}"
VERSION="${VERSION:-0.1.0}"
build_jars=1
rebuild_base=0
for arg in "$@"; do
  case "$arg" in
    --skip-jars) build_jars=0 ;;
    --rebuild-base) rebuild_base=1 ;;
    *) echo "usage: tools/images/build.sh [--skip-jars] [--rebuild-base]" >&2; exit 2 ;;
  esac
done

log() { echo "images: $*" >&2; }

is_jdk25() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "25'; }
if [ -z "${JAVA_HOME:-}" ] || ! is_jdk25 "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25*; do
    if is_jdk25 "$candidate"; then JAVA_HOME="$candidate"; break; fi
  done
  [ -n "$JAVA_HOME" ] || { log "JDK 25 not found; set JAVA_HOME to a JDK 25"; exit 1; }
fi
export JAVA_HOME

# NAME[:TAG]@sha256:<64 hex digits>: a reference that names one image, whatever its tag points to now.
is_digest_pinned() { [[ "$1" =~ @sha256:[0-9a-f]{64}$ ]]; }
if [[ "$BASE_IMAGE" == *@* ]] && ! is_digest_pinned "$BASE_IMAGE"; then
  log "BASE_IMAGE=$BASE_IMAGE: a pinned reference is NAME[:TAG]@sha256:<64 lowercase hex digits>"
  exit 2
fi

# Sets base to the image to build on.
resolve_base() {
  base="$BASE_IMAGE"
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return
  fi
  if [ "$BASE_IMAGE" != "$LOCAL_BASE_IMAGE" ] \
      && timeout 300 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    log "pulled $BASE_IMAGE"
    return
  fi
  if is_digest_pinned "$BASE_IMAGE"; then
    # the caller asked for exactly this image: building on another one would defeat the pin
    log "$BASE_IMAGE is neither present nor pullable; a digest-pinned base is never replaced by $LOCAL_BASE_IMAGE"
    exit 1
  fi
  if [ "$rebuild_base" = 1 ] || ! docker image inspect "$LOCAL_BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE cannot be pulled: assembling $LOCAL_BASE_IMAGE from $JAVA_HOME"
    local jars=()
    for m in "${modules[@]}"; do jars+=("$m/target/$m-exec.jar"); done
    "$root/tools/images/base-image.sh" "$LOCAL_BASE_IMAGE" "${jars[@]}"
  else
    log "$BASE_IMAGE cannot be pulled: using $LOCAL_BASE_IMAGE (--rebuild-base to assemble it again)"
  fi
  base="$LOCAL_BASE_IMAGE"
}

if [ "$build_jars" = 1 ]; then
  log "building the runnable jars"
  ./mvnw -B -q -pl "$(IFS=,; echo "${modules[*]}")" -am package -DskipTests -Dmoemesh.aot.skip
fi
for m in "${modules[@]}"; do
  [ -f "$m/target/$m-exec.jar" ] || { log "$m/target/$m-exec.jar is missing: run without --skip-jars"; exit 1; }
done

"$root/tools/images/ensure-docker.sh"
resolve_base
# The base's content address: its registry digest when it came from a registry, else (an imported
# local base has none) its image ID, the sha256 of its configuration.
base_digest="$(docker image inspect -f '{{if .RepoDigests}}{{index .RepoDigests 0}}{{else}}{{.Id}}{{end}}' "$base")"
log "base image $base = $base_digest"
for m in "${modules[@]}"; do
  log "building moemesh/$m:$VERSION on $base"
  docker build -q --build-arg BASE_IMAGE="$base" --build-arg VERSION="$VERSION" \
    --label org.opencontainers.image.base.name="$base" --label org.opencontainers.image.base.digest="${base_digest##*@}" \
    -t "moemesh/$m:$VERSION" -t "moemesh/$m:latest" "$m" >/dev/null
done

docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' \
  | grep -E "^($(IFS='|'; echo "${modules[*]/#/moemesh/}")):$VERSION|^$base" | sort >&2 || true
