#!/usr/bin/env python3
"""Tables (markdown on stdout), CSV and plot of bench/placement-network.sh results.

usage: bench/placement-network-table.py PREFIX   (e.g. bench/results/placement-network-2026-12-05)
Reads PREFIX-STRATEGY-NETWORK.json (EndToEndHarness) and PREFIX-STRATEGY-NETWORK-network.txt (the
proxy's report); writes PREFIX.csv and PREFIX.png (needs matplotlib: /usr/bin/python3 with Debian's
python3-matplotlib). Rows with the same stream count (rounds) are averaged; "spread" is max-min of
the rounds' tokens/s over their mean. "vs none" compares with one service per expert on the same network.
"""
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

STRATEGIES = [("none", "one service per expert"), ("random", "random co-location"),
              ("eplb", "EPLB-style replication"), ("planner", "co-activation planner"),
              ("controller", "placement controller (live)")]
NETWORK_ORDER = ["none", "rack", "zone", "cross-zone"]


def rows_of(path):
    by_streams = defaultdict(list)
    for r in json.loads(path.read_text())["results"]:
        by_streams[r["streams"]].append(r)
    out = {}
    for streams, rs in by_streams.items():
        def mean(k):
            vals = [r[k] for r in rs if k in r]
            return sum(vals) / len(vals) if vals else float("nan")
        tps = [r["decode_tokens_per_s"] for r in rs]
        out[streams] = {"rounds": len(rs), "tokens_per_s": mean("decode_tokens_per_s"),
                        "spread": (max(tps) - min(tps)) / (sum(tps) / len(tps)) if tps else 0,
                        "ttft_p50_ms": mean("ttft_p50_ms"), "itl_p50_ms": mean("inter_token_p50_ms"),
                        "itl_p99_ms": mean("inter_token_p99_ms"),
                        "calls": mean("remote_calls_per_token_per_layer"),
                        "endpoints": mean("endpoints_per_layer_step"), "step_p50_ms": mean("layer_step_p50_ms"),
                        "step_p99_ms": mean("layer_step_p99_ms"), "degraded": sum(r["degraded"] for r in rs)}
    return out


def late(path):
    if not path.exists():
        return ""
    m = re.search(r"due_one_way_mean_us=([0-9.]+) late_mean_us=([0-9.]+) late_p50_us<=(\d+) late_p99_us<=(\d+)",
                  path.read_text())
    return f"due {m.group(1)} µs, late mean {m.group(2)} µs, p99 ≤ {m.group(4)} µs" if m else ""


def main():
    prefix = sys.argv[1]
    data = defaultdict(dict)  # network -> strategy -> rows
    reports = defaultdict(dict)
    for key, _ in STRATEGIES:
        for f in sorted(Path(prefix).parent.glob(Path(prefix).name + f"-{key}-*.json")):
            net = f.name[len(Path(prefix).name) + len(key) + 2:-len(".json")]
            data[net][key] = rows_of(f)
            reports[net][key] = late(f.with_name(f.name[:-5] + "-network.txt"))
    nets = sorted(data, key=lambda n: (NETWORK_ORDER.index(n) if n in NETWORK_ORDER else 99, n))
    flat = []
    for net in nets:
        print(f"\n#### Network `{net}`\n")
        print("| strategy | streams | decode tok/s | vs none | spread | TTFT p50 ms | inter-token p50 ms | p99 ms "
              "| calls / token / layer | endpoints / layer step | layer step p50 ms | degraded |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        base = data[net].get("none", {})
        for key, name in STRATEGIES:
            for streams, r in sorted(data[net].get(key, {}).items()):
                ref = base.get(streams, {}).get("tokens_per_s")
                vs = f"{r['tokens_per_s'] / ref - 1:+.1%}" if ref else ""
                print(f"| {name} | {streams} | {r['tokens_per_s']:,.0f} | {vs} | {r['spread']:.0%} "
                      f"| {r['ttft_p50_ms']:.1f} | {r['itl_p50_ms']:.2f} | {r['itl_p99_ms']:.2f} | {r['calls']:.3f} "
                      f"| {r['endpoints']:.2f} | {r['step_p50_ms']:.2f} | {r['degraded']} |")
                flat.append({"network": net, "strategy": key, "streams": streams, **r})
        notes = "; ".join(f"{k}: {v}" for k, v in reports[net].items() if v)
        if notes:
            print(f"\nEmulation accuracy (one-way, per chunk): {notes}")
    if flat:
        with open(prefix + ".csv", "w", newline="") as out:
            w = csv.DictWriter(out, fieldnames=list(flat[0].keys()))
            w.writeheader()
            w.writerows(flat)
        plot(prefix, nets, data)


def plot(prefix, nets, data):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no matplotlib: plot skipped; use /usr/bin/python3 with python3-matplotlib)", file=sys.stderr)
        return
    fig, axes = plt.subplots(2, len(nets), figsize=(3.2 * len(nets), 6.4), squeeze=False)
    for i, net in enumerate(nets):
        for key, name in STRATEGIES:
            rows = data[net].get(key)
            if not rows:
                continue
            xs = sorted(rows)
            axes[0][i].plot(xs, [rows[x]["tokens_per_s"] for x in xs], marker="o", label=name)
            axes[1][i].plot(xs, [rows[x]["itl_p99_ms"] for x in xs], marker="o", label=name)
        axes[0][i].set_title(net, fontsize=8)
        axes[1][i].set_xlabel("streams")
        for ax in (axes[0][i], axes[1][i]):
            ax.set_xscale("log", base=2)
    axes[0][0].set_ylabel("decode tokens/s")
    axes[1][0].set_ylabel("inter-token p99 ms")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(prefix + ".png", dpi=110)


if __name__ == "__main__":
    main()
