#!/usr/bin/env python3
"""Plot of bench/decode-overhead.sh results: decode tokens/s and inter-token latency p50 by stream
count, in process against distributed; several result files (e.g. before/after, or experts packed
per process) go on the same axes, labelled by their "label".

usage: python3 bench/decode-plot.py RESULT.json [RESULT.json ...] OUT.png   (Debian's python3-matplotlib)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(files, out):
    fig, (tps, itl) = plt.subplots(1, 2, figsize=(11, 4.2))
    in_process_drawn = False
    for name in files:
        data = json.load(open(name))
        label = name.rsplit("/", 1)[-1].removeprefix("decode-").removesuffix(".json")  # date and TAG
        for path, style in (("in-process", "k--"), ("distributed", "o-")):
            rows = sorted((r for r in data["results"] if r["path"] == path), key=lambda r: r["streams"])
            if not rows or (path == "in-process" and in_process_drawn):
                continue
            text = f"in process ({label})" if path == "in-process" else f"distributed ({label})"
            xs = [r["streams"] for r in rows]
            tps.plot(xs, [r["tokens_per_s"] for r in rows], style, label=text)
            itl.plot(xs, [r["itl_p50_ms"] for r in rows], style, label=text)
            in_process_drawn |= path == "in-process"
    for ax, title in ((tps, "decode tokens/s (all streams)"), (itl, "inter-token latency p50 (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("concurrent streams")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    tps.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1:-1], sys.argv[-1])
