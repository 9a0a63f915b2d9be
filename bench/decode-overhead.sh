#!/usr/bin/env bash
# In process against distributed, in one sitting, as docs/performance.md reports it: starts the
# local cluster of the shipped model (`moe up`, placement off so nothing moves mid-measurement),
# warms it, and runs DecodeComparison at 1/8/32/128 streams (tokens/s, TTFT and inter-token latency
# p50/p99, the router's layer step p50), then `moe down` and a plot.
# Results: bench/results/decode-<date><TAG>.json and .png; the table goes to stdout.
# Env: MODEL (models/mesh-mini-16e), STREAMS (1,8,32,128), TOKENS (64), ROUNDS (3), WARMUP (300 s: sixteen
#      expert JVMs compile their call paths for minutes on two cores; 60 s left them at a third of the speed),
#      UP_ARGS (extra `moe up` options, e.g. "--experts-per-process=16"), SKIP_BUILD=1, TAG.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/mesh-mini-16e}"
STREAMS="${STREAMS:-1,8,32,128}"
TOKENS="${TOKENS:-64}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-300}"
out="bench/results/decode-$(date +%F)${TAG:-}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B package -DskipTests -pl bench,cli,expert-service,router-service,gateway-service,placement-controller -am
./moe down >/dev/null 2>&1 || true
trap './moe down >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC2086 # UP_ARGS is a list of options
./moe up --model "$MODEL" --placement off ${UP_ARGS:-} | head -1
"${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.DecodeComparison \
  "$MODEL" 127.0.0.1:50051 "$out.json" --streams="$STREAMS" --tokens="$TOKENS" --rounds="$ROUNDS" \
  --warmup-seconds="$WARMUP" --label="moe up ${UP_ARGS:-}" | tee "$out.txt"
./moe down >/dev/null
trap - EXIT
/usr/bin/python3 bench/decode-plot.py "$out.json" "$out.png" || echo "decode-overhead: no plot (Debian python3-matplotlib missing?)"
