"""The quality cost of pruning experts: held-out bits per byte of mesh-mini-16e with whole experts
masked, measured through the PyTorch reference (tools/reference/mixtral_ref.py).

"Pruned" means what moe-mesh's router does with a planned pruning set: the expert index is masked
in every MoE layer's gate, so each token goes to its best k experts among those left, by gate
score, with the weights renormalised over the chosen ones (the softmax over their logits) --
Java's TopKGate.gate(logits, off, n, k, available, normalize = true). A pruned expert is one
expert service scaled to zero, hence whole experts, all layers.

Bits per byte are evaluate.py's (tools/train/evaluate.py, imported, not copied): input
[</s>] + tokens, targets tokens + [</s>], sum of -log2 p over the targets divided by the
document's UTF-8 bytes, 256-token windows at stride 128, on the same seeded subset of
--max-docs-per-lang held-out documents per language (40, as the model card). "overall" is the
scored documents together; "stratified" weights each language by its share of all held-out bytes
(the model card's headline estimate).

Pruning order: ascending routing share on the scored held-out documents without any mask (share of
routed token-slots, k per token and layer, summed over layers; ties go to the lower index) -- the
Java pruning policy's order, coldest first. For k pruned experts the "rerouted share" is their
summed share (what the policy's quality budget bounds, 2 % by default); "rerouted_share_measured"
is the share of token-slots whose unmasked choice was a pruned expert in the pruned run itself
(hidden states change once experts are pruned, so it can differ a little).

Language skew: with one language's traffic only, the experts whose share under it falls below
a quarter of the uniform share (1/(4E)) are what the controller would prune; their cost is
measured for that language and for every other one.

    /usr/bin/python3 tools/reference/prune_eval.py models/mesh-mini-16e --data <corpus dir>

writes bench/results/pruning-2026-12-06/quality.json and docs/images/pruning-bits-per-byte.png.
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
from bpe_tokenizer import Tokenizer                                               # noqa: E402
from evaluate import EOS, lang_key, load_heldout, score_windows, select_docs      # noqa: E402
from mixtral_ref import Mixtral                                                    # noqa: E402

DEFAULT_KS = "0,1,2,3,4,6,8,10,12,14"
LANG_NAMES = {"cs": "Czech", "de": "German", "en": "English (fortunes)", "en-gcide": "English (Webster's 1913)",
              "es": "Spanish", "it": "Italian", "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sk": "Slovak"}


class PrunedMixtral(Mixtral):
    """mixtral_ref's Mixtral with the experts in `pruned` masked out of every MoE layer's gate.

    route() returns the experts actually used and their renormalised weights, plus the softmax over
    all experts unmasked (router_probs): what the tokens wanted, as moe-mesh's routing statistics
    record it. With nothing pruned it is mixtral_ref's route() itself, bit for bit.
    """

    pruned = frozenset()

    def route(self, x, i):
        if not self.pruned:
            return super().route(x, i)
        if len(self.pruned) > self.E - self.k:
            raise ValueError(f"{len(self.pruned)} experts pruned leaves fewer than top-{self.k} of {self.E}")
        logits = F.linear(x, self.w[f"model.layers.{i}.block_sparse_moe.gate.weight"])
        masked = logits.clone()
        masked[:, sorted(self.pruned)] = float("-inf")
        top_logits, top_e = torch.topk(masked, self.k, dim=-1)
        # renormalised over the chosen experts = softmax over their logits (TopKGate's formula)
        return top_e, torch.softmax(top_logits, dim=-1), torch.softmax(logits, dim=-1)


def encode_docs(tok, docs):
    """(language, UTF-8 bytes, input ids, target ids) per document, evaluate.py's stream layout."""
    out = []
    for d in docs:
        b = tok.encode(d["text"])
        out.append((lang_key(d), len(d["text"].encode("utf-8")), [EOS] + b, b + [EOS]))
    return out


def evaluate_pruned(m, encoded, pruned, window=256):
    """Bits and routing counts per language with `pruned` masked; returns {lang: stats}.

    used[l][e]: token-slots routed to e (after the mask); wanted[l][e]: slots the unmasked gate chose.
    """
    m.pruned = frozenset(pruned)
    L, E = m.L, m.E
    stats = {}
    for lang, n_bytes, ids, tgt in encoded:
        s = stats.setdefault(lang, {"docs": 0, "bytes": 0, "tokens": 0, "bits": 0.0, "eos_bits": 0.0,
                                    "used": np.zeros((L, E), np.int64), "wanted": np.zeros((L, E), np.int64)})
        s["docs"] += 1
        s["bytes"] += n_bytes
        s["tokens"] += len(tgt)
        for fw, first, bits, t in score_windows(m, ids, tgt, window):
            s["bits"] += float(bits.sum())
            s["eos_bits"] += float(bits[t == EOS].sum())
            for layer, ((top_e, _), probs) in enumerate(zip(fw["routing"], fw["router_probs"])):
                np.add.at(s["used"][layer], top_e[first:].reshape(-1).numpy(), 1)
                wanted = torch.topk(probs[first:], m.k, dim=-1).indices
                np.add.at(s["wanted"][layer], wanted.reshape(-1).numpy(), 1)
    m.pruned = frozenset()
    return stats


def shares(counts):
    """Per-expert share of routed token-slots summed over layers ([L, E] counts -> [E], sums to 1)."""
    per_expert = counts.sum(0)
    return per_expert / per_expert.sum()


def coldest_first(share):
    """Expert indices by ascending share, ties to the lower index (the Java policy's order)."""
    return sorted(range(len(share)), key=lambda e: (share[e], e))


def summarise(stats, heldout_bytes, pruned):
    """bits/byte per language, overall and stratified, and the measured rerouted share."""
    per_lang = {k: {"docs": s["docs"], "bytes": s["bytes"], "tokens": s["tokens"],
                    "bits_per_byte": s["bits"] / s["bytes"],
                    "bits_per_byte_excl_eos": (s["bits"] - s["eos_bits"]) / s["bytes"]}
                for k, s in sorted(stats.items())}
    total_bits = sum(s["bits"] for s in stats.values())
    total_bytes = sum(s["bytes"] for s in stats.values())
    wanted = sum(s["wanted"] for s in stats.values())
    weight = sum(heldout_bytes[k] for k in stats)
    pruned = sorted(pruned)
    return {"bits_per_byte_overall": total_bits / total_bytes,
            "bits_per_byte_stratified": sum(heldout_bytes[k] * v["bits_per_byte"] for k, v in per_lang.items())
                                        / weight,
            "rerouted_share_measured": float(shares(wanted)[pruned].sum()) if pruned else 0.0,
            "per_language": per_lang}


def skewed(per_lang_share, mixed_share, base, m, encoded, heldout_bytes, langs, n_pruned, window):
    """For traffic of one language only: the experts the policy's threshold would call cold (under a
    quarter, and under half, of the uniform share), and the bits/byte of every language with that
    language's n_pruned coldest experts pruned, against nothing pruned."""
    E = m.E
    out = {}
    for lang in langs:
        share = np.array(per_lang_share[lang])
        order = coldest_first(share)
        cold = sorted(order[:n_pruned])
        t0 = time.time()
        run = summarise(evaluate_pruned(m, encoded, cold, window), heldout_bytes, cold)
        print(f"skew {lang}: pruned {cold} ({100 * share[cold].sum():.2f} % of its slots) in "
              f"{time.time() - t0:.0f}s", flush=True)
        out[lang] = {
            "coldest_first": [{"expert": e, "share": round(float(share[e]), 6)} for e in order[:6]],
            "below_quarter_uniform": [e for e in order if share[e] < 0.25 / E],
            "below_half_uniform": [e for e in order if share[e] < 0.5 / E],
            "pruned_experts": cold,
            "rerouted_share_under_this_traffic": float(share[cold].sum()),
            "rerouted_share_under_mixed_traffic": float(mixed_share[cold].sum()),
            "bits_per_byte": {k: v["bits_per_byte"] for k, v in run["per_language"].items()},
            "bits_per_byte_delta": {k: v["bits_per_byte"] - base["per_language"][k]["bits_per_byte"]
                                    for k, v in run["per_language"].items()},
            "bits_per_byte_stratified": run["bits_per_byte_stratified"],
            "bits_per_byte_stratified_delta": run["bits_per_byte_stratified"] - base["bits_per_byte_stratified"],
        }
    return out


def plot(path, result):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curve = result["curve"]
    ks = [c["pruned"] for c in curve]
    fig, ax = plt.subplots(figsize=(8.4, 6.4))
    cmap = plt.get_cmap("tab10")
    for j, lang in enumerate(sorted(curve[0]["per_language"])):
        ax.plot(ks, [c["per_language"][lang]["bits_per_byte"] for c in curve], marker=".", lw=1.1,
                color=cmap(j % 10), label=LANG_NAMES.get(lang, lang))
    ax.plot(ks, [c["bits_per_byte_stratified"] for c in curve], marker="o", lw=2.6, color="black",
            label="whole held-out set (stratified)")
    ax.set_xlabel(f"experts pruned (coldest first, masked in all {result['moe_layers']} MoE layers)")
    ax.set_ylabel("held-out bits per byte")
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(ks, [100 * c["rerouted_share"] for c in curve], ls="--", color="grey", marker="x",
             label="rerouted share (right axis)")
    ax2.axhline(2.0, ls=":", color="grey", lw=0.8)
    ax2.set_ylabel("rerouted share of token-slots, % (dotted: default budget 2 %)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4)
    ax.set_title(f"{result['model']}: quality cost of pruning experts "
                 f"({result['max_docs_per_lang']} held-out docs per language)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def expert_memory(cfg):
    """Bytes of one expert's weights (w1, w3: [I, H]; w2: [H, I]) over all layers."""
    params = 3 * cfg["hidden_size"] * cfg["intermediate_size"] * cfg["num_hidden_layers"]
    return {"parameters": params, "bf16_bytes": 2 * params, "f32_bytes": 4 * params,
            "definition": "w1, w3 [intermediate, hidden] and w2 [hidden, intermediate] of one expert index, "
                          "summed over all MoE layers"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "train", "data"),
                    help="build_corpus.py's output (heldout.jsonl)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "pruning-2026-12-06", "quality.json"))
    ap.add_argument("--plot", default=os.path.join(ROOT, "docs", "images", "pruning-bits-per-byte.png"))
    ap.add_argument("--ks", default=DEFAULT_KS, help="numbers of experts to prune, comma-separated")
    ap.add_argument("--skew-langs", default="all", help="languages whose single-language traffic is evaluated "
                                                         "(comma-separated, or all)")
    ap.add_argument("--skew-prune", type=int, default=2, help="experts pruned per single-language traffic: its coldest")
    ap.add_argument("--max-docs-per-lang", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1234, help="evaluate.py's subset seed")
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--plot-only", action="store_true", help="redraw --plot from an existing --out, compute nothing")
    a = ap.parse_args()
    if a.plot_only:
        with open(a.out, encoding="utf-8") as f:
            plot(a.plot, json.load(f))
        return
    torch.set_num_threads(a.threads)
    t0 = time.time()
    m = PrunedMixtral.load(a.model_dir)
    tok = Tokenizer.load(os.path.join(a.model_dir, "tokenizer.json"))
    by_lang = load_heldout(a.data)
    heldout_bytes = {k: sum(len(d["text"].encode("utf-8")) for d in g) for k, g in by_lang.items()}
    encoded = encode_docs(tok, select_docs(by_lang, a.max_docs_per_lang, a.seed))
    ks = [int(k) for k in a.ks.split(",")]
    if ks[0] != 0:
        ks = [0] + ks

    base_stats = evaluate_pruned(m, encoded, [], a.window)
    share = shares(sum(s["used"] for s in base_stats.values()))
    order = coldest_first(share)
    per_lang_share = {k: shares(s["used"]).round(6).tolist() for k, s in sorted(base_stats.items())}
    base = summarise(base_stats, heldout_bytes, [])
    print(f"k=0 in {time.time() - t0:.0f}s: {base['bits_per_byte_stratified']:.4f} stratified; "
          f"coldest first {order}", flush=True)
    curve = []
    for k in ks:
        t1 = time.time()
        run = base if k == 0 else summarise(evaluate_pruned(m, encoded, order[:k], a.window), heldout_bytes,
                                            order[:k])
        curve.append({"pruned": k, "pruned_experts": sorted(order[:k]),
                      "rerouted_share": float(share[order[:k]].sum()), **run})
        print(f"k={k} {sorted(order[:k])}: rerouted {100 * curve[-1]['rerouted_share']:.2f} %, "
              f"{run['bits_per_byte_stratified']:.4f} stratified ({time.time() - t1:.0f}s)", flush=True)
    langs = sorted(per_lang_share) if a.skew_langs == "all" else [x for x in a.skew_langs.split(",") if x]
    skew = skewed(per_lang_share, share, base, m, encoded, heldout_bytes, langs, a.skew_prune, a.window)

    result = {
        "model": os.path.basename(os.path.normpath(a.model_dir)),
        "evaluator": "tools/reference/prune_eval.py: mixtral_ref.py (BF16 weights, float32 math) with pruned "
                     "experts masked in every MoE layer's gate, next-best experts renormalised "
                     "(TopKGate.gate with available, normalize=true)",
        "command": "/usr/bin/python3 tools/reference/prune_eval.py " + " ".join(sys.argv[1:]),
        "heldout_sha256": sha256(os.path.join(a.data, "heldout.jsonl")),
        "max_docs_per_lang": a.max_docs_per_lang, "seed": a.seed, "window": a.window,
        "moe_layers": m.L, "experts": m.E, "top_k": m.k,
        "bits_per_byte_definition": "evaluate.py's: sum -log2 p over targets (the document's tokens + closing "
                                    "</s>, input starts with </s>) / the document's UTF-8 bytes; stratified = "
                                    "each language weighted by its share of all held-out bytes",
        "routing_share_definition": "share of routed token-slots (top-k per token and layer) per expert, summed "
                                    "over layers, on the scored held-out documents, no mask",
        "routing_share": share.round(6).tolist(),
        "order_coldest_first": order,
        "routing_share_per_language": per_lang_share,
        "heldout_bytes_per_language": heldout_bytes,
        "curve": curve,
        "language_skew": skew,
        "expert_memory": expert_memory(m.cfg),
        "machine": {"platform": platform.platform(), "processor": cpu_model(), "torch": torch.__version__,
                    "python": platform.python_version(), "threads": a.threads},
        "eval_seconds": round(time.time() - t0, 1),
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
        f.write("\n")
    if a.plot:
        os.makedirs(os.path.dirname(a.plot), exist_ok=True)
        plot(a.plot, result)
    print(f"wrote {a.out} and {a.plot} in {time.time() - t0:.0f}s")


def sha256(path):
    """The held-out file's sha256, to compare with the training_log.json of the model (corpus.sha256)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
