"""Plot PlacementEvaluation's CSV: remote calls per token per layer vs expert memory, per strategy.

usage: /usr/bin/python3 tools/reference/plot_placement.py CSV PNG

One panel per split (out-of-sample: planned on one half of the documents, scored on the other;
in-sample: scored on the documents it was planned from). The dashed line is the lower bound on
calls that CaptureBound allows at each budget; no plan within the budget and cap can go below it.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"one_per_expert": ("one service per expert", "o", "tab:gray"),
         "random": ("random co-location (seed 1)", "s", "tab:orange"),
         "eplb": ("EPLB-style (load only)", "^", "tab:green"),
         "planner": ("co-activation planner", "D", "tab:blue")}
SPLITS = [("out_of_sample", "out-of-sample"), ("in_sample", "in-sample")]


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    fig, axes = plt.subplots(1, len(SPLITS), figsize=(11, 4.5), sharey=True)
    for ax, (split, title) in zip(axes, SPLITS):
        mine = [r for r in rows if r["split"] == split]
        for strategy, (label, marker, colour) in STYLE.items():
            pts = sorted((float(r["expert_memory"]), float(r["remote_calls_per_token_per_layer"]))
                         for r in mine if r["strategy"] == strategy)
            if pts:
                ax.plot(*zip(*pts), marker=marker, color=colour, label=label)
        bound = sorted({(float(r["budget"]), float(r["bound_calls_per_token_per_layer"])) for r in mine})
        ax.plot(*zip(*bound), linestyle="--", color="black", label="bound (CaptureBound)")
        ax.set_title(title)
        ax.set_xlabel("expert memory (units / L·E)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("remote calls per token per layer")
    axes[0].legend(fontsize=8)
    fig.suptitle("Expert placement: remote calls vs memory")
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
