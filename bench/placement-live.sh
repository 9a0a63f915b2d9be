#!/usr/bin/env bash
# Placement strategies on real traffic, one after the other on this machine: `moe up` with one service
# per expert (no co-location), random co-location, EPLB-style load-only replication and the
# co-activation planner (the 1.25x plan files PlacementEvaluation writes), each with the controller
# off, then `moe up` with the placement controller on, measured after it has applied its first plan.
# Each is driven through the gateway by EndToEndHarness at 1, 4 and 16 concurrent streams; the router's
# counters give remote calls and bytes per token per layer, endpoints touched per layer step and
# the MoE layer step p50/p99.
# Prompts: the held-out documents PlacementEvaluation scored on (not those the plans were made from),
# languages interleaved, their first words (PROMPTS_FILE, default tools/train/data/heldout.jsonl, made by
# tools/train/build_corpus.py; without it the harness's eight built-in prompts).
# Env: MODEL (models/mesh-mini-16e), PLANS (bench/results/placement-2026-11-28: prefix of the plan
# files), STREAMS (1,4,16), TOKENS (64), WARMUP_RUNS (6 runs of 16 streams before measuring),
# STRATEGIES (none random eplb planner controller), TAG (suffix of the result files),
# SKIP_BUILD=1 to use the jars as built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/mesh-mini-16e}"
PLANS="${PLANS:-bench/results/placement-2026-11-28}"
STREAMS="${STREAMS:-1,4,16}"
TOKENS="${TOKENS:-64}"
WARMUP_RUNS="${WARMUP_RUNS:-6}"
STRATEGIES="${STRATEGIES:-none random eplb planner controller}"
day="$(date -u +%F)${TAG:-}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
PROMPTS_FILE="${PROMPTS_FILE:-tools/train/data/heldout.jsonl}"
prompts=()
[ -f "$PROMPTS_FILE" ] && prompts=(--prompts="$PROMPTS_FILE")
harness=("${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.EndToEndHarness 127.0.0.1:50051)

[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B package -DskipTests \
  -pl bench,cli,expert-service,router-service,gateway-service,placement-controller -am
./moe down >/dev/null 2>&1 || true
trap './moe down >/dev/null 2>&1 || true' EXIT

for strategy in $STRATEGIES; do
  case "$strategy" in
    none) up=(--placement off) ;;
    random) up=(--placement off --plan "$PLANS-plan-1.25x-random.txt") ;;
    eplb) up=(--placement off --plan "$PLANS-plan-1.25x-eplb.txt") ;;
    planner) up=(--placement off --plan "$PLANS-plan-1.25x.txt") ;;
    controller) up=(--placement on --placement-interval 15s) ;;
    *) echo "unknown strategy $strategy" >&2; exit 2 ;;
  esac
  echo "== $strategy: moe up ${up[*]}"
  ./moe up --model "$MODEL" "${up[@]}" | head -1
  if [ "$strategy" = controller ]; then
    # traffic until the controller has applied a plan (it plans every 15 s once the window holds 2,000 tokens)
    for i in $(seq 1 40); do
      "${harness[@]}" bench/target/placement-live-warmup.json 16 "$TOKENS" "${prompts[@]}" >/dev/null
      if ./moe plan | grep -qE '^placement controller .*: [1-9][0-9]* plans applied'; then break; fi
    done
    ./moe plan | tee "bench/results/placement-live-$day-controller-plan.txt"
  fi
  "${harness[@]}" "bench/results/placement-live-$day-$strategy.json" "$STREAMS" "$TOKENS" --warmup-runs="$WARMUP_RUNS" \
    "${prompts[@]}"
  ./moe down >/dev/null
done
