"""Golden vectors for the Java engine with experts pruned: greedy continuations of mesh-mini-16e from
the PyTorch reference with whole experts masked in every MoE layer's gate (prune_eval.PrunedMixtral:
the next-best available experts by gate score, weights renormalised over the chosen ones, as
TopKGate.gate(logits, off, n, k, available, true) does).

    /usr/bin/python3 tools/reference/pruned_golden.py models/mesh-mini-16e \
        --quality bench/results/pruning-2026-12-06/quality.json

writes moe-core/src/test/resources/golden/pruned-mesh-mini-16e.json. The pruned sets come from
prune_eval.py's quality.json so they are the ones the docs measure: none, the 2 and the 4 coldest
experts (order_coldest_first) and the experts a one-language traffic makes cold (language_skew).

Format (JSON, UTF-8):
  model, dtype, ignore_eos (true: exactly greedy_steps tokens, </s> is an ordinary id), greedy_steps,
  top_k_gate (the model's k), moe_layers (MoE-layer ordinals a pruned expert is masked in: all of them),
  thresholds {min_gate_margin, min_greedy_margin} the cases clear (see below),
  pruned_sets: [{name, experts}]  -- experts: sorted expert indices, each masked in every MoE layer,
  cases: one per (prompt, pruned set), prompt-major:
    prompt, lang, input_ids (the model's tokenizer.json, no BOS),
    pruned_set (a name from pruned_sets), pruned_experts (its experts, repeated for convenience),
    greedy {ids, text}: greedy_steps argmax ids, full recompute, eos ignored,
    first_step_top_logits {ids, values}: the 20 largest logits at the last prompt position, descending
      (the logits that choose greedy.ids[0]),
    routed_away: [{layer, expert, prompt_positions, generated_positions}] -- per MoE layer and pruned
      expert, the positions whose unmasked top-k included that expert (token-steps routed away from it;
      generated_positions counts the greedy_steps - 1 fed-back tokens), zero rows left out,
    min_gate_margin: smallest p_k - p_(k+1) among the available experts' router probabilities (softmax
      over all experts) over every processed position and layer; min_greedy_margin: smallest top-1 minus
      top-2 logit over the greedy steps; min_unmasked_gate_margin: the same p_k - p_(k+1) over all experts
      (how firmly routed_away's counts are decided; recorded, not required).
A Java engine computing in float32 differs from the reference by ~1e-6 in probabilities and ~1e-5 in
logits; only prompts whose cases all clear the thresholds for every pruned set are written, so a float32
engine must reproduce the ids exactly and the logits within 1e-3; the same greedy ids computed with
float64 activations are checked before the file is written.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from bpe_tokenizer import Tokenizer              # noqa: E402
from prune_eval import PrunedMixtral             # noqa: E402

GREEDY_STEPS = 24
TOP_N = 20
MIN_GATE_MARGIN, MIN_GREEDY_MARGIN = 1e-5, 1e-3     # as models/mesh-mini-16e/golden.json (tools/train/README.md)
CANDIDATES = {      # tried in order; the first --per-lang whose cases all clear the margins are kept
    "en": ["The best way to predict the future is ", "Never trust a ", "A computer is ", "The secret of life is",
           "Once upon a time, ", "A man ", "Money is ", "The world is ", "If you ", "Love is "],
    "ru": ["Жизнь — это ", "Без труда ", "Время ", "Жизнь — это", "Любовь — это ", "Человек ", "Женщина ",
           "Деньги ", "Если ", "Мужчина ", "Счастье ", "Никогда не ", "Лучше ", "Мир "],
    "de": ["Der Mensch ist ", "Wer nicht wagt, ", "Die Liebe ", "Das Leben ist", "Die Zeit ", "Ein Mann ",
           "Die Frau ", "Geld ist ", "Man muss ", "Es ist ", "Der Tod ", "Die Welt ist ", "Ich bin ", "Wenn man "],
}


def available_gate_margin(probs, pruned, k):
    """min over positions of p_k - p_(k+1) among the experts left (the selection boundary)."""
    p = probs.clone()
    if pruned:
        p[:, sorted(pruned)] = float("-inf")
    s = torch.sort(p, dim=-1, descending=True).values
    return float((s[:, k - 1] - s[:, k]).min())


def make_case(m, tok, prompt, lang, pruned_set):
    pruned = pruned_set["experts"]
    m.pruned = frozenset(pruned)
    ids = tok.encode(prompt)
    new, greedy_margin = m.greedy(ids, GREEDY_STEPS)
    full = m.forward(ids + new[:-1])
    top = torch.topk(full["logits"][len(ids) - 1], TOP_N)
    gate_margin = min(available_gate_margin(p, pruned, m.k) for p in full["router_probs"])
    wanted_margin = min(available_gate_margin(p, [], m.k) for p in full["router_probs"])
    routed_away = []
    for layer, p in enumerate(full["router_probs"]):
        wanted = torch.topk(p, m.k, dim=-1).indices
        for e in sorted(pruned):
            hit = (wanted == e).any(-1)
            n_prompt, n_gen = int(hit[:len(ids)].sum()), int(hit[len(ids):].sum())
            if n_prompt or n_gen:
                routed_away.append({"layer": layer, "expert": e, "prompt_positions": n_prompt,
                                    "generated_positions": n_gen})
    m.pruned = frozenset()
    return {"prompt": prompt, "lang": lang, "input_ids": ids, "pruned_set": pruned_set["name"],
            "pruned_experts": sorted(pruned),
            "greedy": {"ids": new, "text": tok.decode(new)},
            "first_step_top_logits": {"ids": [int(i) for i in top.indices], "values": [float(v) for v in top.values]},
            "routed_away": routed_away, "min_gate_margin": gate_margin, "min_greedy_margin": greedy_margin,
            "min_unmasked_gate_margin": wanted_margin}


def pruned_sets(quality, skew_lang):
    order = quality["order_coldest_first"]
    skew = quality["language_skew"][skew_lang]["pruned_experts"]
    return [{"name": "none", "experts": []},
            {"name": "coldest-2", "experts": sorted(order[:2])},
            {"name": "coldest-4", "experts": sorted(order[:4])},
            {"name": f"skew-{skew_lang}", "experts": sorted(skew)}]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--quality", default=os.path.join(ROOT, "bench", "results", "pruning-2026-12-06", "quality.json"))
    ap.add_argument("--skew-lang", default="de", help="the language_skew entry of quality.json to use")
    ap.add_argument("--langs", default="de,ru", help="prompt languages, --per-lang prompts each")
    ap.add_argument("--per-lang", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "moe-core", "src", "test", "resources", "golden",
                                                  "pruned-mesh-mini-16e.json"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    with open(a.quality, encoding="utf-8") as f:
        sets = pruned_sets(json.load(f), a.skew_lang)
    m = PrunedMixtral.load(a.model_dir)
    tok = Tokenizer.load(os.path.join(a.model_dir, "tokenizer.json"))
    cases = []
    for lang in a.langs.split(","):
        kept = 0
        for prompt in CANDIDATES[lang]:
            if kept == a.per_lang:
                break
            group = [make_case(m, tok, prompt, lang, s) for s in sets]
            gm = min(c["min_gate_margin"] for c in group)
            sm = min(c["min_greedy_margin"] for c in group)
            ok = gm > MIN_GATE_MARGIN and sm > MIN_GREEDY_MARGIN
            print(f"{lang} {prompt!r}: gate margin {gm:.3g}, greedy margin {sm:.3g} {'ok' if ok else 'SKIPPED'}")
            for c in group:
                print(f"   {c['pruned_set']:10} {c['greedy']['text']!r}")
            if ok:
                cases += group
                kept += 1
        if kept < a.per_lang:
            sys.exit(f"only {kept} {lang} prompts clear the margins; {a.per_lang} needed (add candidates)")
    m64 = PrunedMixtral.load(a.model_dir, torch.float64)
    for c in cases:                 # float64 activations must give the same ids: the margins are real
        m64.pruned = frozenset(c["pruned_experts"])
        if m64.greedy(c["input_ids"], GREEDY_STEPS)[0] != c["greedy"]["ids"]:
            sys.exit(f"float64 greedy ids differ for {c['prompt']!r} with {c['pruned_set']}: golden not written")
    out = {"model": os.path.basename(os.path.normpath(a.model_dir)), "dtype": "BF16", "ignore_eos": True,
           "greedy_steps": GREEDY_STEPS, "top_k_gate": m.k, "moe_layers": list(range(m.L)),
           "thresholds": {"min_gate_margin": MIN_GATE_MARGIN, "min_greedy_margin": MIN_GREEDY_MARGIN},
           "pruned_sets": sets, "cases": cases}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {a.out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
