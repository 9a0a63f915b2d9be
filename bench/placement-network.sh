#!/usr/bin/env bash
# Placement strategies under emulated networks (docs/placement.md, "On an emulated network"): for each
# strategy one `moe up --emulate-network none` of mesh-mini-16e, a warm-up, then for each network
# `moe network NET` on the running cluster and EndToEndHarness through the gateway at 1, 8 and 32
# streams (twice each, by default): decode tokens/s, TTFT, inter-token p50/p99, and the router's remote
# calls, bytes and endpoints per layer step. The proxy's own report (how late it delivered) is kept
# beside each result.
# Strategies: none (one service per expert), random, eplb, planner (the 1.25x plan files of the offline
# evaluation, controller off), controller (the placement controller on, measured once it applied a plan).
# Env: MODEL, PLANS (prefix of the plan files), STRATEGIES, NETWORKS (presets or specs, space separated),
# STREAMS (1,8,32,1,8,32), TOKENS (64), WARMUP_S (180 s of 16-stream traffic before the first network),
# TAG (suffix of the result files), SKIP_BUILD=1 to use the jars as built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/mesh-mini-16e}"
PLANS="${PLANS:-bench/results/placement-2026-11-28}"
STRATEGIES="${STRATEGIES:-none random eplb planner controller}"
NETWORKS="${NETWORKS:-none rack zone cross-zone rtt=2ms,jitter=200us,bandwidth=1gbit,scale=19}"
STREAMS="${STREAMS:-1,8,32,1,8,32}"
TOKENS="${TOKENS:-64}"
WARMUP_S="${WARMUP_S:-180}"
day="$(date -u +%F)${TAG:-}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
PROMPTS_FILE="${PROMPTS_FILE:-tools/train/data/heldout.jsonl}"
prompts=()
[ -f "$PROMPTS_FILE" ] && prompts=(--prompts="$PROMPTS_FILE")
harness=("${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness 127.0.0.1:50051)
out=bench/results/placement-network-$day
mkdir -p bench/results

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -q -B install -DskipTests   # with the services' AOT caches: 16 experts start in about a minute
  ./mvnw -q -B package -DskipTests -pl bench -Dmoemesh.aot.skip
  touch cli/target/moe.jar
fi
./moe down >/dev/null 2>&1 || true
trap './moe down >/dev/null 2>&1 || true' EXIT

label() { case "$1" in *=*) echo "$1" | tr ',=' '_-' ;; *) echo "$1" ;; esac; }

for strategy in $STRATEGIES; do
  case "$strategy" in
    none) up=(--placement off) ;;
    random) up=(--placement off --plan "$PLANS-plan-1.25x-random.txt") ;;
    eplb) up=(--placement off --plan "$PLANS-plan-1.25x-eplb.txt") ;;
    planner) up=(--placement off --plan "$PLANS-plan-1.25x.txt") ;;
    controller) up=(--placement on --placement-interval 15s) ;;
    *) echo "unknown strategy $strategy" >&2; exit 2 ;;
  esac
  echo "== $strategy: moe up ${up[*]} --emulate-network none ($(date -u +%T))"
  ./moe up --model "$MODEL" "${up[@]}" --emulate-network none --timeout 5m | head -1
  end=$((SECONDS + WARMUP_S))
  while [ $SECONDS -lt $end ] || { [ "$strategy" = controller ] && \
      ! ./moe plan | grep -qE '^placement controller .*: [1-9][0-9]* plans applied'; }; do
    "${harness[@]}" bench/target/placement-network-warmup.json 16 "$TOKENS" "${prompts[@]}" >/dev/null
  done
  [ "$strategy" = controller ] && ./moe plan > "$out-controller-plan.txt"
  for net in $NETWORKS; do
    name="$out-$strategy-$(label "$net")"
    ./moe network "$net" | head -1
    "${harness[@]}" "$name.json" "$STREAMS" "$TOKENS" "${prompts[@]}" | sed "s/^/  [$strategy $net] /"
    ./moe network > "$name-network.txt"
  done
  ./moe down >/dev/null
done
/usr/bin/python3 bench/placement-network-table.py "$out" > "$out.md"
echo "table: $out.md, plot: $out.png"
