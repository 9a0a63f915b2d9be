#!/usr/bin/env bash
# Checks the images as a deployment runs them (docs/images.md, "Checked"): one expert container per
# expert of MODEL, a router and a gateway on one Docker network, every container non-root with a
# read-only root filesystem, /tmp as tmpfs, no capabilities, a memory limit, and the model mounted
# read-only at /models, and a placement controller (dry run) reading the router. Waits until each
# answers SERVING on the standard gRPC health service, reads their actuator /actuator/health, then
# generates through the gateway's published port and compares the text with the in-process
# engine's (`moe generate --model`): they must be equal, and the expert containers must have
# computed tokens. Every service runs as the chart runs it: the gateway with an API key from a
# mounted file, the internal services with an internal token from a mounted file (fail closed: none
# of them starts without), the placement controller on the router's internal port.
# Needs the images (tools/images/build.sh) and a Docker engine; stops what it started.
# Env: MODEL (models/tiny-random), PROMPT (Hello), MAX_TOKENS (16), VERSION (0.1.0),
#      GATEWAY_PORT (15051, published on 127.0.0.1), KEEP=1 leaves the containers running.
set -euo pipefail
shopt -s inherit_errexit
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/tiny-random}"
PROMPT="${PROMPT:-Hello}"
MAX_TOKENS="${MAX_TOKENS:-16}"
VERSION="${VERSION:-0.1.0}"
GATEWAY_PORT="${GATEWAY_PORT:-15051}"
net=moemesh-smoke
prefix=moemesh-smoke
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

model_dir="$(realpath "$MODEL")"
experts="$(sed -nE 's/.*"num_local_experts": *([0-9]+).*/\1/p' "$model_dir/config.json")"
work="$(mktemp -d)"
containers=()
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    [ "${#containers[@]}" -eq 0 ] || docker rm -f "${containers[@]}" >/dev/null 2>&1 || true
    docker network rm "$net" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "smoke: $*" >&2; }

# The mounted secrets: an API key for the gateway and the internal token every service presents.
secrets="$work/secrets"
mkdir -p "$secrets"
head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$secrets/api-keys"
head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$secrets/internal-token"
chmod 0755 "$secrets" && chmod 0644 "$secrets"/* # read by the containers' uid 10001

# What Kubernetes gives a pod with readOnlyRootFilesystem, runAsNonRoot, drop ALL and an emptyDir
# at /tmp. Docker mounts --tmpfs noexec unless told: the JVM's libraries load native code from /tmp.
run() {
  local name="$1"; shift
  docker run -d --name "$prefix-$name" --network "$net" --network-alias "$name" \
    --read-only --tmpfs /tmp:rw,exec,nosuid,nodev,size=256m --cap-drop ALL \
    --security-opt no-new-privileges --memory 768m -v "$secrets:/etc/moemesh:ro" \
    -e MOEMESH_AUTH_INTERNAL_TOKEN_FILE=/etc/moemesh/internal-token "$@" >/dev/null
  containers+=("$prefix-$name")
}
ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$prefix-$1"; }
await_serving() { # NAME:PORT...
  local targets=() t
  for t in "$@"; do targets+=("$(ip "${t%%:*}"):${t##*:}"); done
  for _ in $(seq 1 90); do
    if "$JAVA_HOME/bin/java" -cp cli/target/moe.jar tools/images/GrpcHealthCheck.java "${targets[@]}" \
        >"$work/health" 2>/dev/null; then
      sed 's/^/smoke:   /' "$work/health" >&2
      return
    fi
    sleep 2
  done
  cat "$work/health" >&2
  log "not SERVING after 180 s"; exit 1
}

expert_tokens() { # tokens each expert container has computed so far (its warm-up included)
  local e
  for e in $(seq 0 $((experts - 1))); do
    curl -fsS "http://$(ip "expert-$e"):8061/actuator/prometheus" \
      | awk '/^moemesh_expert_batch_tokens_sum/ { s += $2 } END { printf "%d ", s }'
  done
}

[ -f cli/target/moe.jar ] || ./moe --help >/dev/null # builds the CLI
docker network create "$net" >/dev/null

log "starting $experts expert containers on network $net"
expert_targets=()
for e in $(seq 0 $((experts - 1))); do
  run "expert-$e" -v "$model_dir:/models:ro" "moemesh/expert-service:$VERSION" --moemesh.expert.experts="$e"
  expert_targets+=("expert-$e:50061")
done
await_serving "${expert_targets[@]}"

log "starting router and gateway (settings from the environment: Spring relaxed binding)"
run router -v "$model_dir:/models:ro" -e MOEMESH_ROUTER_EXPERTS="$(IFS=,; echo "${expert_targets[*]}")" \
  "moemesh/router-service:$VERSION"
run gateway -p "127.0.0.1:$GATEWAY_PORT:50051" -e MOEMESH_GATEWAY_ROUTERS=router:50052 \
  -e MOEMESH_GATEWAY_API_KEYS_FILE=/etc/moemesh/api-keys \
  "moemesh/gateway-service:$VERSION"
log "starting the placement controller (dry run) on the router"
run placement-controller -e MOEMESH_CONTROLLER_ROUTERS=router:50056 -e MOEMESH_CONTROLLER_DRY_RUN=true \
  "moemesh/placement-controller:$VERSION"
await_serving router:50052 gateway:50051 placement-controller:50053

for c in "${containers[@]}"; do
  uid="$(docker top "$c" -o pid,uid | awk 'NR > 1 {print $2}' | sort -u | tr '\n' ' ' | xargs)"
  ro="$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c")"
  if [ "$uid" != 10001 ] || [ "$ro" != true ]; then
    log "FAIL: $c runs as uid $uid, read-only root filesystem: $ro"; exit 1
  fi
done
log "all ${#containers[@]} containers run as uid 10001 on a read-only root filesystem"
for t in expert-0:8061 router:8082 gateway:8051 placement-controller:8083; do
  log "${t%%:*} actuator: $(curl -fsS "http://$(ip "${t%%:*}"):${t##*:}/actuator/health")"
done

log "generating through the gateway at 127.0.0.1:$GATEWAY_PORT and in process"
before="$(expert_tokens)"
./moe generate --gateway "127.0.0.1:$GATEWAY_PORT" --api-key-file "$secrets/api-keys" --allow-key-over-plaintext --prompt "$PROMPT" --max-tokens "$MAX_TOKENS" \
  >"$work/distributed.txt" 2>"$work/distributed.err"
./moe generate --model "$MODEL" --prompt "$PROMPT" --max-tokens "$MAX_TOKENS" \
  >"$work/inprocess.txt" 2>"$work/inprocess.err"
grep -h 'generated' "$work/distributed.err" "$work/inprocess.err" | sed 's/^/smoke:   /' >&2
# The router runs every expert in process when its expert list is empty: make sure it called ours.
after="$(expert_tokens)"
delta="$(awk -v before="$before" \
  '{ split(before, b, " "); for (i = 1; i <= NF; i++) printf "%d ", $i - b[i] }' <<<"$after")"
log "tokens the expert containers 0..$((experts - 1)) computed for this request: $delta"
[ "$(awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }' <<<"$delta")" -gt 0 ] \
  || { log "FAIL: no expert container computed a token"; exit 1; }
if grep -q DEGRADED "$work/distributed.err"; then
  log "FAIL: the router skipped experts"; exit 1
fi
if cmp -s "$work/distributed.txt" "$work/inprocess.txt"; then
  log "PASS: containers and in-process engine generate the same text ($(wc -c <"$work/inprocess.txt") bytes)"
else
  log "FAIL: the texts differ"
  diff <(od -c "$work/distributed.txt") <(od -c "$work/inprocess.txt") >&2 || true
  exit 1
fi
