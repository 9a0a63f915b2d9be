#!/usr/bin/env bash
# The OpenAI-compatible HTTP API against the gRPC API of the same `moe up` cluster, in one sitting:
# EndToEndHarness (client SDK, gRPC) and OpenAiHarness (JDK HTTP client, server-sent events), each at
# 1, 8 and 32 streams, alternated ROUNDS times so that warm-up and drift fall on both. Results land in
# bench/results/openai-vs-grpc-<date>/. Needs a running `moe up` (gateway 50051, HTTP API 8000) and
# nothing else running on the machine.
# Env: STREAMS (1,8,32), TOKENS (64), ROUNDS (3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
STREAMS="${STREAMS:-1,8,32}"
TOKENS="${TOKENS:-64}"
ROUNDS="${ROUNDS:-3}"
out="bench/results/openai-vs-grpc-$(date +%F)"
mkdir -p "$out"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar)
for round in $(seq 1 "$ROUNDS"); do
  "${java[@]}" io.moemesh.bench.harness.EndToEndHarness 127.0.0.1:50051 "$out/grpc-$round.json" "$STREAMS" "$TOKENS"
  "${java[@]}" io.moemesh.bench.harness.OpenAiHarness http://127.0.0.1:8000/v1 "$out/http-$round.json" "$STREAMS" "$TOKENS"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys, glob, statistics
out = sys.argv[1]
def rows(kind):
    by = {}
    for f in sorted(glob.glob(f"{out}/{kind}-*.json")):
        for r in json.load(open(f))["results"]:
            by.setdefault(r["streams"], []).append(r)
    return by
g, h = rows("grpc"), rows("http")
lines = ["| streams | gRPC tokens/s | HTTP tokens/s | HTTP / gRPC | router TTFT p50 gRPC / HTTP (ms) | client TTFT p50 gRPC / HTTP (ms) |",
         "| ---: | ---: | ---: | ---: | ---: | ---: |"]
for s in sorted(g):
    gt = statistics.median(r["decode_tokens_per_s"] for r in g[s]); ht = statistics.median(r["decode_tokens_per_s"] for r in h[s])
    gf = statistics.median(r["ttft_p50_ms"] for r in g[s]); hf = statistics.median(r["ttft_p50_ms"] for r in h[s])
    gc = statistics.median(r["client_ttft_p50_ms"] for r in g[s]); hc = statistics.median(r["client_ttft_p50_ms"] for r in h[s])
    lines.append(f"| {s} | {gt:.0f} | {ht:.0f} | {ht / gt:.2f} | {gf:.1f} / {hf:.1f} | {gc:.1f} / {hc:.1f} |")
table = "\n".join(lines) + f"\n\nmedians of {len(g[min(g)])} alternated rounds\n"
open(f"{out}/table.md", "w").write(table)
print(table)
PY
