#!/usr/bin/env bash
# Measures the local cluster of the shipped model in one go, as docs/performance.md reports it:
#   1. `moe up` time to ready (RUNS times, each followed by `moe down`),
#   2. one MoE layer step, in process vs distributed over the 16 expert processes of `moe up`,
#   3. end-to-end decode tokens/s and time to first token through the gateway.
# Results land in bench/results/ with today's date. Needs nothing else running on the machine.
# Env: MODEL (models/mesh-mini-16e), RUNS (3), ITERATIONS (200), WARMUP (2000), PREWARM (6000), STREAMS (1,8,32), TOKENS (64),
# SKIP_BUILD=1 to use the jars as built, TAG to suffix the result files (a second run on the same day).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/mesh-mini-16e}"
RUNS="${RUNS:-3}"
ITERATIONS="${ITERATIONS:-200}"
WARMUP="${WARMUP:-2000}"   # layer steps per size before measuring: every expert JVM must JIT its gRPC path
PREWARM="${PREWARM:-6000}" # 512-token distributed steps first: 16 JVMs' C2 compilers take minutes to settle on 2 cores
STREAMS="${STREAMS:-1,8,32}"
TOKENS="${TOKENS:-64}"
day="$(date +%F)${TAG:-}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B package -DskipTests -pl bench,cli,expert-service,router-service,gateway-service,placement-controller -am
./moe down >/dev/null 2>&1 || true

for run in $(seq 1 "$RUNS"); do
  # one service per expert, as started: the controller would re-place units mid-measurement
  ./moe up --model "$MODEL" --placement off | head -1 | tee -a "bench/results/moe-up-$day.txt"
  [ "$run" = "$RUNS" ] || ./moe down >/dev/null
done

experts="$(seq -s, -f "127.0.0.1:%g" 50060 50075)"
"${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.MoeLayerHarness \
  "$MODEL" "$experts" "bench/target/moe-layer-prewarm.json" 512 100 --warmup="$PREWARM" --distributed-only
"${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.MoeLayerHarness \
  "$MODEL" "$experts" "bench/results/moe-layer-$day.json" 1,8,64,512 "$ITERATIONS" --warmup="$WARMUP"
"${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness \
  127.0.0.1:50051 "bench/results/e2e-$day.json" "$STREAMS" "$TOKENS"
./moe down
