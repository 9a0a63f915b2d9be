"""Renders a soak's time series (bench/results/soak-*/) as soak.png: heap and threads of every
process over time, normal-request latency, and calls by outcome per sample period.

Usage: /usr/bin/python3 tools/soak/plot.py RESULTS_DIR   (Debian's python3 with python3-matplotlib)
"""
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUTCOME_COLOURS = {"OK": "tab:green", "CANCELLED": "tab:blue", "DEADLINE_EXCEEDED": "tab:orange",
                   "INVALID_ARGUMENT": "tab:gray", "RESOURCE_EXHAUSTED": "tab:purple", "NOT_FOUND": "tab:olive",
                   "INEXACT": "black", "UNAVAILABLE": "tab:red", "INTERNAL": "darkred", "UNKNOWN": "magenta"}


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def number(text):
    return float(text) if text not in ("", None) else float("nan")


def per_process(processes, column):
    series = defaultdict(lambda: ([], []))
    for r in processes:
        value = number(r[column])
        if value >= 0:
            series[r["name"]][0].append(number(r["t_s"]) / 60)
            series[r["name"]][1].append(value)
    return series


def draw_processes(ax, series, title, unit):
    experts = sorted(n for n in series if n.startswith("expert"))
    for i, name in enumerate(experts):
        ax.plot(*series[name], color=plt.cm.Blues(0.35 + 0.6 * i / max(1, len(experts) - 1)), linewidth=0.7,
                label="experts (%d)" % len(experts) if i == 0 else None)
    for name, colour in (("router", "tab:red"), ("gateway", "tab:green"), ("placement", "tab:orange")):
        if name in series:
            ax.plot(*series[name], color=colour, linewidth=1.6, label=name)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)


def draw_latency(ax, latency, router):
    t = [number(r["t_s"]) / 60 for r in latency]
    ax.plot(t, [number(r["p50_ms"]) for r in latency], color="tab:blue", label="p50")
    ax.plot(t, [number(r["p99_ms"]) for r in latency], color="tab:red", label="p99")
    ax.set_ylabel("ms")
    ax.set_title("normal requests (32 tokens) per sample period: latency; router scheduler load")
    twin = ax.twinx()
    twin.plot([number(r["t_s"]) / 60 for r in router], [number(r["scheduler_load"]) for r in router],
              color="tab:gray", linewidth=0.8, label="router scheduler load")
    twin.set_ylabel("requests waiting or running")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", bbox_to_anchor=(1.06, 1.0), fontsize=7)


def draw_outcomes(ax, traffic):
    counts = defaultdict(lambda: defaultdict(float))
    times = sorted({number(r["t_s"]) for r in traffic})
    for r in traffic:
        counts[r["outcome"]][number(r["t_s"])] += number(r["count"])
    bottom = [0.0] * len(times)
    width = (times[1] - times[0]) / 60 * 0.9 if len(times) > 1 else 0.1
    for outcome in sorted(counts, key=lambda o: -sum(counts[o].values())):
        values = [counts[outcome].get(t, 0) for t in times]
        ax.bar([t / 60 for t in times], values, width=width, bottom=bottom, label=outcome,
               color=OUTCOME_COLOURS.get(outcome))
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("calls ended")
    ax.set_title("calls by outcome per sample period (bursts over the rate limit are the tall bars)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)


def main(results):
    results = Path(results)
    processes = rows(results / "processes.csv")
    summary = json.loads((results / "summary.json").read_text()) if (results / "summary.json").exists() else {}
    fig, axes = plt.subplots(5, 1, figsize=(13, 17), sharex=True)
    draw_processes(axes[0], per_process(processes, "heap_used_mb"), "heap used (sampled; not after GC)", "MiB")
    draw_processes(axes[1], per_process(processes, "jvm_threads"), "JVM live threads", "threads")
    draw_processes(axes[2], per_process(processes, "rss_mb"), "resident set (VmRSS)", "MiB")
    draw_latency(axes[3], rows(results / "latency.csv"), rows(results / "router.csv"))
    draw_outcomes(axes[4], rows(results / "traffic.csv"))
    timeline = summary.get("timeline", {})
    for ax in axes:
        for key in ("traffic_start_s", "traffic_end_s"):
            if key in timeline:
                ax.axvline(timeline[key] / 60, color="black", linestyle=":", linewidth=0.8)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("minutes since the harness started (dotted: traffic start and end)")
    latency = summary.get("normal_latency_ms", {})
    fig.suptitle("moe-mesh soak, %s: %s calls, normal p50 %s ms / p99 %s ms, passed: %s" % (
        summary.get("cluster", {}).get("model", "?").split("/")[-1], summary.get("calls", {}).get("total", "?"),
        latency.get("p50", "?"), latency.get("p99", "?"), summary.get("passed", "?")))
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(results / "soak.png", dpi=80)
    shrink(results / "soak.png")
    print(results / "soak.png")


def shrink(png):
    """A 256-colour palette keeps the committed plot small; skipped where Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        return
    Image.open(png).convert("RGB").quantize(colors=256).save(png, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1])
