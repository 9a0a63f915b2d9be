#!/usr/bin/env bash
# Replication and pruning end to end (issue 22), as docs/utilisation.md reports them: one fresh
# `moe up` of the shipped model per run, skewed traffic (Russian prompts only, greedy, 64 tokens,
# EOS ignored), then UtilisationHarness: tokens/s, per-service and per-process unit-tokens max/mean,
# layer-step p50/p99, the expert processes' RSS and CPU seconds per 1,000 tokens.
#   A  baseline: no replicas, no pruning
#   B  replication: --max-expert-processes 24
#   C  pruning with the defaults: --pruning
#   D  pruning forced: --pruning --pruning-threshold 0.9 --pruning-budget 0.15
# Every run: --placement-memory-budget 1.0 (no partner units, so co-location does not mix in) and
# --placement-interval 5s. Traffic starts at once; the measurement waits until the controller's
# processes are stable for STABLE s (B: more than one per expert; D: experts pruned; at most SETTLE_MAX s),
# then warms WARMUP s and measures MEASURE s.
# Results: $OUT/<run>.json, $OUT/<run>-plan.txt (`moe plan` before the measurement), $OUT/summary.txt
# (every run of A B C D whose json is there, so runs may be repeated or done in parts).
# Env: MODEL (models/mesh-mini-16e), STREAMS (8), WARMUP (60), MEASURE (60), STABLE (15), SETTLE_MAX (240),
#      RUNS ("A B C D"), OUT (bench/results/utilisation-<date>), SKIP_BUILD=1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODEL="${MODEL:-models/mesh-mini-16e}"
STREAMS="${STREAMS:-8}"
WARMUP="${WARMUP:-60}"
MEASURE="${MEASURE:-60}"
STABLE="${STABLE:-15}"
SETTLE_MAX="${SETTLE_MAX:-240}"
RUNS="${RUNS:-A B C D}"
OUT="${OUT:-bench/results/utilisation-$(date +%F)}"
state=.moe
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
# The CLI jar itself, not ./moe: ./moe rebuilds when a source is newer than its jar, which would
# rebuild the service jars under the running cluster and load the two cores mid-measurement.
moe() { "${java[@]}" -XX:+UseParallelGC -Dmoemesh.home="$root" -jar cli/target/moe.jar "$@"; }

[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B package -DskipTests -pl bench,cli,expert-service,router-service,gateway-service,placement-controller -am
mkdir -p "$OUT"
prompts="$OUT/prompts-ru.txt"
cat >"$prompts" <<'EOF'
Жизнь — это
Без труда 
Москва — 
В лесу родилась ёлочка, 
Мой дядя самых честных правил, 
Я помню чудное мгновенье: 
Россия — самая большая страна 
Утром я пошёл в магазин и 
EOF
moe down >/dev/null 2>&1 || true
trap 'moe down >/dev/null 2>&1 || true' EXIT

up_args() {
  case "$1" in
    A) echo "" ;;
    B) echo "--max-expert-processes 24" ;;
    C) echo "--pruning" ;;
    D) echo "--pruning --pruning-threshold 0.9 --pruning-budget 0.15" ;;
  esac
}

live_processes() {
  local n=0 f pid
  for f in "$state"/replicas/*.pid; do
    [ -f "$f" ] || continue
    pid=$(head -1 "$f")
    kill -0 "$pid" 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}

pruned_count() {
  curl -s --max-time 5 http://127.0.0.1:50054/placement | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
print(len(s.get("prunedExperts", s.get("pruned_experts", []))))' 2>/dev/null || echo 0
}

# Waits (traffic running) until the process count has not changed for STABLE s, at least 30 s in,
# and the run's own condition holds; gives up after SETTLE_MAX s and says so.
settle() {
  local run=$1 start last count since ok
  start=$(date +%s); last=-1; since=$start
  while :; do
    count=$(live_processes); now=$(date +%s)
    [ "$count" != "$last" ] && { last=$count; since=$now; }
    ok=1
    case "$run" in
      B) [ "$count" -gt 16 ] || ok=0 ;;
      D) [ "$(pruned_count)" -gt 0 ] || ok=0 ;;
    esac
    if [ $ok = 1 ] && [ $((now - since)) -ge "$STABLE" ] && [ $((now - start)) -ge 30 ]; then
      echo "run $run: settled after $((now - start)) s with $count expert processes"; return
    fi
    if [ $((now - start)) -ge "$SETTLE_MAX" ]; then
      echo "run $run: not settled after $SETTLE_MAX s ($count expert processes); measuring anyway"; return
    fi
    sleep 3
  done
}

for run in $RUNS; do
  args=$(up_args "$run")
  echo "== run $run: moe up $args"
  # shellcheck disable=SC2086 # args is a list of options
  moe up --model "$MODEL" --placement-memory-budget 1.0 --placement-interval 5s $args | head -1
  ready="$OUT/.ready-$run"; rm -f "$ready"
  "${java[@]}" -cp bench/target/benchmarks.jar io.moemesh.bench.harness.UtilisationHarness "$OUT/$run.json" \
    --prompts="$prompts" --streams="$STREAMS" --warmup-seconds="$WARMUP" --measure-seconds="$MEASURE" \
    --ready-file="$ready" --label="$run: moe up --placement-memory-budget 1.0 --placement-interval 5s $args" \
    >"$OUT/$run.log" 2>&1 &
  harness=$!
  settle "$run"
  moe plan >"$OUT/$run-plan.txt" 2>&1 || true
  touch "$ready"
  wait "$harness" || { echo "run $run: harness failed, see $OUT/$run.log"; tail -5 "$OUT/$run.log"; }
  rm -f "$ready"
  moe down >/dev/null
done
trap - EXIT

/usr/bin/python3 - "$OUT" A B C D >"$OUT/summary.txt" <<'EOF'
import json, sys, os
out, runs = sys.argv[1], sys.argv[2:]
print("| run | expert processes | per-service max/mean | per-process max/mean | layer step p50 / p99 ms | tokens/s | expert RSS total MiB | expert CPU s per 1k tokens | pruned experts |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in runs:
    p = os.path.join(out, r + ".json")
    if not os.path.exists(p):
        print(f"| {r} | (no result) |"); continue
    j = json.load(open(p))
    print(f"| {r} | {j['expert_processes']} | {j['service_max_over_mean']:.2f} | {j['process_max_over_mean']:.2f} | "
          f"{j['layer_step_p50_ms']:.2f} / {j['layer_step_p99_ms']:.2f} | {j['tokens_per_s']:.1f} | "
          f"{j['expert_rss_mib']:.0f} | {j['expert_cpu_seconds_per_1k_tokens']:.2f} | {j['pruned_experts']} |")
EOF
cat "$OUT/summary.txt"
