#!/usr/bin/env bash
# Soak: mixed traffic for DURATION (default 30m) against `moe up` on models/mesh-mini-16e (16 expert
# processes, router, gateway, placement controller), then `moe down` and a plot.
#
#   tools/soak/run.sh [DURATION] [harness options...]     e.g. tools/soak/run.sh 2m --concurrency=4
#
# Results: bench/results/soak-<date>[-<suffix>]/ (SOAK_OUT overrides): processes.csv, router.csv,
# traffic.csv, latency.csv, summary.json, harness.log, moe-up.txt, soak.png. The cluster runs on its
# own ports (SOAK_PORT_BASE, default 52050: gateway +1, router +2, controller +3/+4, router HTTP +5,
# experts from +10) and state directory (.moe-soak), so a `moe up` on the default ports is left alone.
# Exit status: the harness's (0 when every check passed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
duration="${1:-30m}"
shift || true
. tools/find-jdk25.sh
moemesh_use_jdk25 soak || exit 1

base="${SOAK_PORT_BASE:-52050}"
state=".moe-soak"
out="${SOAK_OUT:-bench/results/soak-$(date +%Y-%m-%d)}"
model="models/mesh-mini-16e"
bench_jar="bench/target/benchmarks.jar"
modules="cli,expert-service,router-service,gateway-service,placement-controller,bench"

stale() { [ ! -f "$1" ] || [ -n "$(find "$root" -path '*/src/main/*' -newer "$1" -print -quit)" ]; }
if stale "$bench_jar" || stale cli/target/moe.jar; then
  build_log="$(mktemp -t soak-build.XXXXXX)"
  echo "soak: building $modules (first run or sources changed; log in $build_log)..."
  ./mvnw -B -q package -DskipTests -pl "$modules" -am >"$build_log" 2>&1 || { tail -n 40 "$build_log"; exit 1; }
fi
if [ -f "$state/cluster.json" ]; then
  echo "soak: a soak cluster is already up ($state/cluster.json); stopping it first"
  ./moe down --state-dir "$state" || true
fi

mkdir -p "$out"
echo "soak: $duration of traffic; results in $out"
./moe up --model "$model" --state-dir "$state" --gateway-port $((base + 1)) --router-port $((base + 2)) \
  --controller-port $((base + 3)) --controller-http-port $((base + 4)) --router-http-port $((base + 5)) \
  --router-internal-port $((base + 6)) \
  --expert-port $((base + 10)) --timeout 300s | tee "$out/moe-up.txt"
trap './moe down --state-dir "$state" >/dev/null 2>&1 || true' EXIT

status=0
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
  -Xmx1g -cp "$bench_jar" io.moemesh.bench.soak.SoakHarness --duration="$duration" --cluster="$state" \
  --out="$out" "$@" 2>&1 | tee "$out/harness.log" || status=$?

./moe down --state-dir "$state" | tail -n 3
trap - EXIT
mkdir -p "$out/logs"
for f in "$state"/logs/router.log "$state"/logs/gateway.log; do
  [ -f "$f" ] && tail -n 100 "$f" > "$out/logs/$(basename "$f")"
done

python=/usr/bin/python3
if ! "$python" -c 'import matplotlib' 2>/dev/null; then
  echo "soak: installing Debian's python3-matplotlib for the plot"
  apt-get install -y python3-matplotlib >/dev/null || echo "soak: could not install python3-matplotlib"
fi
"$python" tools/soak/plot.py "$out" || echo "soak: no plot (see above)"
exit "$status"
