#!/usr/bin/env bash
# One Mixtral-8x7B-shaped MoE layer (hidden 4096, intermediate 14336, 8 experts, top-2), in process
# vs distributed over 8 expert processes (one per expert) on loopback, in the same run.
# CPUS (default "0": one core) pins the harness and every expert process to the same CPUs with
# taskset, so both paths have the same compute and the ratio is the price of disaggregation alone
# (LocalExperts runs on one thread; unpinned, eight processes would also get the second core).
# Env: CPUS, PER_PROCESS (1), TOKENS (64,512), ITERATIONS (5), WARMUP (3), MODEL (bench/target/mixtral-layer),
# TAG (suffix of the result file, for a second run on the same day), SKIP_BUILD=1 to use the jars as built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
CPUS="${CPUS:-0}"
TOKENS="${TOKENS:-64,512}"
ITERATIONS="${ITERATIONS:-5}"
WARMUP="${WARMUP:-3}"
MODEL="${MODEL:-bench/target/mixtral-layer}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
pin=(taskset -c "$CPUS")
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
logs="$(mktemp -d)"

[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B package -DskipTests -pl bench,expert-service -am
[ -f "$MODEL/model.safetensors" ] || /usr/bin/python3 tools/reference/make_moe_layer.py --out "$MODEL"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# PER_PROCESS experts per expert-service process (default 1: one process per expert; 8: one process
# hosting the whole layer, which separates the price of the wire from that of 8 processes sharing a core)
PER_PROCESS="${PER_PROCESS:-1}"
endpoints=()
for first in $(seq 0 "$PER_PROCESS" 7); do
  port=$((50160 + first))
  "${pin[@]}" "${java[@]}" -XX:+UseSerialGC -Xmx1g -jar expert-service/target/expert-service-exec.jar \
    --spring.main.web-application-type=none --moemesh.expert.model-dir="$MODEL" \
    --moemesh.expert.experts="$(seq -s, "$first" $((first + PER_PROCESS - 1)))" \
    --moemesh.expert.grpc-port=$port --moemesh.expert.workers=1 > "$logs/expert-$first.log" 2>&1 &
  pids+=($!)
  endpoints+=("127.0.0.1:$port")
done
until [ "$(grep -l 'Started ExpertServiceApplication' "$logs"/expert-*.log | wc -l)" = "${#pids[@]}" ]; do
  sleep 5
  kill -0 "${pids[@]}" || { echo "an expert exited: see $logs" >&2; exit 1; }
done
"${pin[@]}" "${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.MoeLayerHarness \
  "$MODEL" "$(IFS=,; echo "${endpoints[*]}")" "bench/results/moe-layer-mixtral-$(date +%F)${TAG:-}.json" \
  "$TOKENS" "$ITERATIONS" --warmup="$WARMUP" --call-timeout=300s
