#!/usr/bin/env bash
# `moe up` of a many-expert model with one expert per process and with --experts-per-process auto:
# time to ready (as moe up prints it) and the expert processes' memory once every process is SERVING
# (sum of RSS, and of PSS, which splits the checkpoint pages the processes map together).
#
#   bench/many-experts-up.sh MODEL_DIR [PACKINGS] [OUT]
#   bench/many-experts-up.sh cli/target/many-experts-64 "1 auto" bench/results/many-experts-up-$(date +%F).txt
#
# MODEL_DIR: e.g. the 64-expert model ManyExpertsIT writes to cli/target/many-experts-64. Both runs use
# --placement off, so that the only difference is the number of expert JVMs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tools/find-jdk25.sh"
moemesh_use_jdk25 many-experts-up || exit 1
model="$1"; packings="${2:-1 auto}"; out="${3:-/dev/stdout}"
state="$(mktemp -d)"
moe() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Dmoemesh.home="$root" -jar "$root/cli/target/moe.jar" "$@"; }
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), model $model"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for packing in $packings; do
    up="$(moe up --model "$model" --state-dir "$state" --experts-per-process "$packing" --placement off \
      --timeout 1200s --gateway-port 51351 --http-port -1 --router-port 51352 --router-internal-port 51356 \
      --router-http-port 51355 --expert-port 51400)"
    ready="$(grep -o 'up in [0-9.]* s' <<<"$up")"
    pids="$(grep -E '^  experts?-' <<<"$up" | grep -o 'pid [0-9]*' | cut -d' ' -f2)"
    rss=0; pss=0; n=0
    for p in $pids; do
      rss=$((rss + $(awk '/^Rss:/ {print $2}' /proc/$p/smaps_rollup)))
      pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)))
      n=$((n + 1))
    done
    echo "--experts-per-process $packing: $n expert processes, $ready, expert RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    moe down --state-dir "$state" --grace-seconds 20 >/dev/null
  done
} | tee -a "$out"
rm -rf "$state"
