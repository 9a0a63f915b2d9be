#!/usr/bin/env python3
"""Markdown table of bench/placement-live.sh results: one row per strategy and stream count.

usage: bench/placement-live-table.py PREFIX [PREFIX ...]   (e.g. bench/results/placement-live-2026-11-28)
A strategy's row comes from the first PREFIX that has its result file (a run that crossed midnight
spans two dates). Plan files: --plans=PREFIX (default bench/results/placement-2026-11-28).
--csv=FILE also writes the rows as CSV.
Expert memory comes from the plan files (units hosted over layers x experts); the controller's from
its `moe plan` capture.
"""
import csv
import json
import re
import sys
from pathlib import Path

STRATEGIES = [("none", "one service per expert", None),
              ("random", "random co-location", "-plan-1.25x-random.txt"),
              ("eplb", "EPLB-style replication", "-plan-1.25x-eplb.txt"),
              ("planner", "co-activation planner (plan file)", "-plan-1.25x.txt"),
              ("controller", "placement controller (live re-placement)", None)]


def memory(plans_prefix, suffix, prefix, strategy, layers=4, experts=16):
    base = layers * experts
    if strategy == "controller":
        capture = Path(f"{prefix}-controller-plan.txt")
        if capture.exists():
            m = re.search(r"expert memory ([0-9.]+)x", capture.read_text())
            return float(m.group(1)) if m else float("nan")
        return float("nan")
    if suffix is None:
        return 1.0
    extra = 0
    for line in Path(plans_prefix + suffix).read_text().splitlines():
        if line and not line.startswith("#"):
            extra += len(line.split("=", 1)[1].split(","))
    return (base + extra) / base


def main():
    prefixes = [a for a in sys.argv[1:] if not a.startswith("--")]
    csv_file = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--csv=")), None)
    rows = []
    plans = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--plans=")),
                 "bench/results/placement-2026-11-28")
    print("| strategy | expert memory | streams | remote calls / token / layer | bytes / token / layer "
          "| endpoints / layer step | tokens / layer step | layer step p50 ms | p99 ms | decode tok/s | degraded |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, name, suffix in STRATEGIES:
        prefix = next((p for p in prefixes if Path(f"{p}-{key}.json").exists()), None)
        if prefix is None:
            continue
        f = Path(f"{prefix}-{key}.json")
        mem = memory(plans, suffix, prefix, key)
        for r in json.loads(f.read_text())["results"]:
            rows.append({"strategy": key, "expert_memory": round(mem, 4), "source": f.name,
                         **{k: r[k] for k in ("streams", "remote_calls_per_token_per_layer",
                                              "bytes_per_token_per_layer", "endpoints_per_layer_step",
                                              "tokens_per_layer_step", "layer_step_p50_ms", "layer_step_p99_ms",
                                              "decode_tokens_per_s", "ttft_p50_ms", "ttft_p99_ms", "degraded")}})
            print(f"| {name} | {mem:.3f}x | {r['streams']} | {r['remote_calls_per_token_per_layer']:.3f} "
                  f"| {r['bytes_per_token_per_layer']:,.0f} | {r['endpoints_per_layer_step']:.2f} "
                  f"| {r['tokens_per_layer_step']:.2f} | {r['layer_step_p50_ms']:.2f} | {r['layer_step_p99_ms']:.2f} "
                  f"| {r['decode_tokens_per_s']} | {r['degraded']} |")
    if csv_file:
        with open(csv_file, "w", newline="") as out:
            w = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
