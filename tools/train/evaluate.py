"""Evaluate an exported mesh-mini-16e checkpoint (BF16 safetensors) through the independent
PyTorch reference tools/reference/mixtral_ref.py -- not the training module -- so the numbers
describe exactly the files the Java engine serves.

Held-out bits per byte: every held-out document is encoded with the model's own tokenizer.json
and scored as the training stream presents it, input [</s>] + tokens, targets tokens + [</s>];
so the first token and the closing </s> are predicted too. bits_per_byte = sum of -log2
p(target) over all targets (tokens AND the </s>) / number of UTF-8 bytes of the text, which makes
it comparable across tokenizers; bits_per_byte_excl_eos leaves the </s> terms out.
Documents longer than --window tokens are scored with windows of --window tokens, stride
--window/2, each position scored once (after the first window, with >= window/2 context).

Routing statistics over the same scored positions: expert usage per language and layer
(fraction of top-2 assignments going to each expert; sums to 1) and co-activation counts per
layer (C[i][j] = tokens whose selected top-2 pair is {i, j}; symmetric, zero diagonal), drawn
as coactivation-layer{l}.png. Plus greedy and sampled generations per language.
Writes <model_dir>/eval.json (or --out).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from bpe_tokenizer import Tokenizer            # noqa: E402
from mixtral_ref import Mixtral               # noqa: E402

EOS = 257
PROMPTS = {   # short, language-typical openings (fortune style; a headword for the dictionary)
    "en": "The secret of life is",
    "en-gcide": "Apple \\Ap\"ple\\, n.",
    "de": "Das Leben ist",
    "es": "La vida es",
    "it": "La vita è",
    "pl": "Życie jest",
    "ru": "Жизнь — это",
    "cs": "Život je",
    "sk": "Láska je",
    "pt": "A vida é",
}


def lang_key(doc):
    return doc["lang"] + ("-gcide" if doc["src"] == "dict-gcide" else "")


def windows(n, W):
    """(start, first scored offset within window) covering positions 0..n-1 once."""
    if n <= W:
        return [(0, 0)]
    out, stride, s = [(0, 0)], W // 2, 0
    while s + W < n:
        s = min(s + stride, n - W)
        out.append((s, out[-1][0] + W - s))
    return out


def load_heldout(data_dir):
    """The held-out documents of build_corpus.py's heldout.jsonl grouped by lang_key, in file order."""
    by_lang = {}
    with open(os.path.join(data_dir, "heldout.jsonl"), encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            by_lang.setdefault(lang_key(d), []).append(d)
    return by_lang


def select_docs(by_lang, max_docs_per_lang, seed):
    """The scored documents: all of them, or a seeded subset of max_docs_per_lang per language
    (one generator, languages in sorted order, so the subset is a function of the seed alone)."""
    docs, rng = [], np.random.default_rng(seed)
    for k in sorted(by_lang):
        group = by_lang[k]
        if max_docs_per_lang and len(group) > max_docs_per_lang:
            # seeded sample: the file is in corpus order, so its head would be one source file
            group = [group[i] for i in sorted(rng.permutation(len(group))[:max_docs_per_lang])]
        docs += group
    return docs


def score_windows(m, ids, tgt, window):
    """Yields, per scoring window of the input ids (targets tgt), the forward pass, the offset of
    its first scored position, and the bits (-log2 p) and target ids of its scored positions."""
    for start, first in windows(len(ids), window):
        fw = m.forward(ids[start:start + window])
        lp = F.log_softmax(fw["logits"][first:], -1)
        t = torch.tensor(tgt[start + first:start + window])
        yield fw, first, -lp[torch.arange(len(t)), t] / math.log(2), t


def generate(m, tok, prompt, n, temperature=0.0, gen=None):
    """Stops at </s>; full recompute per token (the reference has no KV cache)."""
    ids, new = tok.encode(prompt), []
    for _ in range(n):
        last = m.forward(ids + new)["logits"][-1]
        if temperature == 0.0:
            nxt = int(torch.argmax(last))
        else:
            nxt = int(torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen))
        if nxt == EOS:
            break
        new.append(nxt)
    return tok.decode(new), len(new) < n


def heatmap(path, C, layer, name, n_tokens):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    E = C.shape[0]
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    im = ax.imshow(C / max(n_tokens, 1), cmap="viridis")
    ax.set_xticks(range(E))
    ax.set_yticks(range(E))
    ax.set_xlabel("expert j")
    ax.set_ylabel("expert i")
    ax.set_title(f"{name} layer {layer}: top-2 pair co-activation\n"
                 f"(fraction of {n_tokens:,} held-out tokens routed to {{i, j}})", fontsize=10)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--out", help="default <model_dir>/eval.json")
    ap.add_argument("--window", type=int, default=256, help="the training sequence length")
    ap.add_argument("--max-docs-per-lang", type=int, default=0,
                    help="seeded random subset per language; 0 = all held-out documents")
    ap.add_argument("--gen-tokens", type=int, default=80)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    t0 = time.time()
    torch.set_num_threads(2)
    m = Mixtral.load(a.model_dir)
    tok = Tokenizer.load(os.path.join(a.model_dir, "tokenizer.json"))
    L, E = m.L, m.E
    name = os.path.basename(os.path.normpath(a.model_dir))

    by_lang = load_heldout(a.data)
    heldout_bytes = {k: sum(len(d["text"].encode("utf-8")) for d in g) for k, g in by_lang.items()}
    docs = select_docs(by_lang, a.max_docs_per_lang, a.seed)

    stats = {}                                  # lang -> nll bits, eos bits, bytes, tokens, docs
    usage = {}                                  # lang -> [L, E] assignment counts
    coact = np.zeros((L, E, E), dtype=np.int64)
    for d in docs:
        k = lang_key(d)
        b = tok.encode(d["text"])
        ids, tgt = [EOS] + b, b + [EOS]
        s = stats.setdefault(k, {"docs": 0, "bytes": 0, "tokens": 0, "bits": 0.0, "eos_bits": 0.0})
        u = usage.setdefault(k, np.zeros((L, E), dtype=np.int64))
        s["docs"] += 1
        s["bytes"] += len(d["text"].encode("utf-8"))
        s["tokens"] += len(tgt)
        for fw, first, bits, t in score_windows(m, ids, tgt, a.window):
            s["bits"] += float(bits.sum())
            s["eos_bits"] += float(bits[t == EOS].sum())
            for layer, (top_e, _) in enumerate(fw["routing"]):
                e = top_e[first:].numpy()
                np.add.at(u[layer], e.reshape(-1), 1)
                lo, hi = e.min(1), e.max(1)
                np.add.at(coact[layer], (lo, hi), 1)
                np.add.at(coact[layer], (hi, lo), 1)

    def summary(s):
        return {"docs": s["docs"], "bytes": s["bytes"], "tokens": s["tokens"],
                "bits_per_byte": s["bits"] / s["bytes"],
                "bits_per_byte_excl_eos": (s["bits"] - s["eos_bits"]) / s["bytes"],
                "eos_bits_per_doc": s["eos_bits"] / s["docs"]}

    total = {f: sum(s[f] for s in stats.values()) for f in ("docs", "bytes", "tokens", "bits", "eos_bits")}
    all_usage = sum(usage.values())
    n_tokens = int(total["tokens"])

    gen = torch.Generator().manual_seed(a.seed)
    generations = {}
    for k, prompt in PROMPTS.items():
        greedy, g_end = generate(m, tok, prompt, a.gen_tokens)
        sampled, s_end = generate(m, tok, prompt, a.gen_tokens, a.temperature, gen)
        generations[k] = {"prompt": prompt, "greedy": greedy, "greedy_ended_with_eos": g_end,
                          "sampled": sampled, "sampled_ended_with_eos": s_end}
        print(f"[{k}] {prompt!r}\n  greedy : {greedy!r}\n  sampled: {sampled!r}", flush=True)

    for layer in range(L):
        heatmap(os.path.join(a.model_dir, f"coactivation-layer{layer}.png"), coact[layer], layer, name, n_tokens)
    result = {
        "model": name, "evaluator": "tools/reference/mixtral_ref.py on the exported BF16 weights (float32 math)",
        "heldout": os.path.join(a.data, "heldout.jsonl"), "window": a.window, "stride": a.window // 2,
        "max_docs_per_lang": a.max_docs_per_lang,
        "bits_per_byte_definition": "sum -log2 p over targets = the document's tokens + closing </s> (input starts "
                                    "with </s>), divided by the document's UTF-8 bytes; _excl_eos drops the </s> terms",
        "overall": summary(total),
        # With --max-docs-per-lang the scored sample over-weights small languages; weighting each
        # language's bits/byte by its share of ALL held-out bytes estimates the whole set's value.
        "bits_per_byte_stratified_definition": "sum over languages of (the language's share of all held-out UTF-8 "
                                               "bytes) x (its bits_per_byte on the scored documents); equals "
                                               "overall.bits_per_byte when every document is scored",
        "bits_per_byte_stratified": sum(heldout_bytes[k] * summary(stats[k])["bits_per_byte"] for k in stats)
                                    / sum(heldout_bytes[k] for k in stats),
        "heldout_bytes_per_language": {k: heldout_bytes[k] for k in sorted(heldout_bytes)},
        "per_language": {k: summary(stats[k]) for k in sorted(stats)},
        "expert_usage_definition": "fraction of a language's top-2 assignments (2 per token) per expert",
        "expert_usage": {k: (usage[k] / usage[k].sum(1, keepdims=True)).round(5).tolist() for k in sorted(usage)},
        "expert_usage_all": (all_usage / all_usage.sum(1, keepdims=True)).round(5).tolist(),
        "coactivation_definition": "C[layer][i][j] = held-out tokens whose top-2 pair is {i, j} (symmetric)",
        "coactivation": coact.tolist(),
        "generations": {"max_new_tokens": a.gen_tokens, "temperature": a.temperature, "seed": a.seed,
                        **generations},
        "eval_seconds": round(time.time() - t0, 1),
    }
    out = a.out or os.path.join(a.model_dir, "eval.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(json.dumps({"overall": result["overall"], "bits_per_byte_stratified": result["bits_per_byte_stratified"],
                      "per_language_bpb": {k: round(v["bits_per_byte"], 3)
                                           for k, v in result["per_language"].items()}}, indent=1))
    print(f"wrote {out} and {L} heatmaps in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
