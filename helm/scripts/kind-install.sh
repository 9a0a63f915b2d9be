#!/usr/bin/env bash
# Installs the chart on a throw-away kind cluster and runs its `helm test` hook (docs/kubernetes.md,
# "Smoke test on kind"): builds the four service images (tools/images/build.sh), creates a kind
# cluster whose node sees models/ at /moemesh-models, loads the images, creates the API-key and
# internal-token Secrets, installs release moe-mesh in namespace moe with MODEL's experts on small
# resource requests, waits for every Deployment, then runs `helm test --logs` (gRPC health and one
# Generate through the gateway). Not run in this repository's CI: no Kubernetes API server can be
# installed on its build machine. Needs docker, kind, kubectl and helm on PATH.
# Env: MODEL (tiny-random, a folder under models/), CLUSTER (moe-mesh), VERSION (0.1.0),
#      SKIP_BUILD=1 uses the images already built, KEEP=1 leaves the cluster running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
MODEL="${MODEL:-tiny-random}"
CLUSTER="${CLUSTER:-moe-mesh}"
VERSION="${VERSION:-0.1.0}"
TEST_IMAGE="$(sed -nE 's/^  image: (curlimages\/curl:.*)$/\1/p' helm/moe-mesh/values.yaml)"
ns=moe

log() { printf '%s kind-install: %s\n' "$(date +%T)" "$*" >&2; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { log "$tool is not on PATH"; exit 2; }
done
[[ -f "models/$MODEL/config.json" ]] || { log "no model models/$MODEL (config.json)"; exit 2; }
experts="$(sed -nE 's/.*"(num_local_experts|num_experts)": *([0-9]+).*/\2/p' "models/$MODEL/config.json" | head -n 1)"

if [[ "${SKIP_BUILD:-}" != 1 ]]; then
  log "building the images"
  VERSION="$VERSION" tools/images/build.sh
fi

if ! kind get clusters | grep -qx "$CLUSTER"; then
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --wait 120s --config - <<KIND
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraMounts:
      - hostPath: $root/models
        containerPath: /moemesh-models
        readOnly: true
KIND
fi
if [[ "${KEEP:-}" != 1 ]]; then
  trap 'log "deleting cluster $CLUSTER (KEEP=1 keeps it)"; kind delete cluster --name "$CLUSTER"' EXIT
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "loading images into the node"
docker pull -q "$TEST_IMAGE" >/dev/null
for image in expert-service router-service gateway-service placement-controller; do
  kind load docker-image --name "$CLUSTER" "moemesh/$image:$VERSION"
done
kind load docker-image --name "$CLUSTER" "$TEST_IMAGE"

log "secrets"
kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$ns" create secret generic moe-api-keys --from-literal=api-keys="$(openssl rand -hex 32)" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$ns" create secret generic moe-internal-token --from-literal=token="$(openssl rand -hex 32)" \
  --dry-run=client -o yaml | kubectl apply -f -
api_server="$(kubectl get endpoints kubernetes -n default -o jsonpath='{.subsets[0].addresses[0].ip}')"

log "installing release moe-mesh ($experts experts of $MODEL)"
helm upgrade --install moe-mesh helm/moe-mesh --namespace "$ns" \
  --set image.tag="$VERSION" \
  --set gateway.apiKeys.existingSecret=moe-api-keys \
  --set security.internalToken.existingSecret=moe-internal-token \
  --set "networkPolicy.apiServer.cidrs={$api_server/32}" \
  --set model.name="$MODEL" \
  --set model.source.type=hostPath --set model.source.hostPath.path=/moemesh-models \
  --set experts.count="$experts" \
  --set experts.autoscaling.enabled=false --set router.autoscaling.enabled=false --set gateway.autoscaling.enabled=false \
  --set experts.resources.requests.cpu=50m --set experts.resources.limits.memory=512Mi \
  --set router.resources.requests.cpu=100m --set gateway.resources.requests.cpu=50m \
  --set placementController.resources.requests.cpu=50m \
  --wait --timeout 10m

log "helm test"
helm test moe-mesh --namespace "$ns" --logs --timeout 5m
log "passed: the gateway is SERVING and generated through routers and experts"
