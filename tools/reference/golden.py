"""Compute golden.json for a model dir of any family in moe_ref.py and cross-check the reference.

Golden data: per prompt the input ids, prefill routing per MoE layer/token, top-20 logits
per prompt position, and exactly 32 greedy tokens (eos ignored, full recompute).
Robustness checks (the run fails if violated, so a float32 engine can be compared):
  * router probability margin p_k - p_(k+1) > 1e-3 at every layer/prompt token (this is
    "min_gate_margin"), and p_j - p_(j+1) > 1e-3 for j < k so the expert order is stable,
  * p_k - p_(k+1) > 1e-4 at the generated positions too (a flipped expert there could
    change the greedy ids; float32 noise is ~1e-6),
  * top-1 - top-2 logit margin > 1e-2 at every greedy step ("min_greedy_margin") and
    > 1e-3 at every prompt position (GoldenVectorTest checks the argmax there too),
  * no <s>/</s> among the greedy ids, so "text" is plain decoded text.
Prompts are encoded with the model dir's tokenizer.json (tools/reference/bpe_tokenizer.py, which
equals the Hugging Face tokenizers encoding the Java engine uses).
Cross-checks (reported): sparse vs dense MoE per layer, float32 vs float64 forward.

The thresholds above suit a random model whose init we choose. A trained model's router is what
training made it (16-expert routers often rank the 2nd and 3rd expert within 1e-4), so for it
pass a candidate prompt list (--prompts) and thresholds that are still far above the float32
noise between two engines (~1e-6 in probabilities, ~1e-5 in logits): prompts that fail are
skipped with the reason printed, and at least --cases of them must pass.
"""
import argparse
import json
import os
import sys

import torch

from bpe_tokenizer import FIRST_MERGE_ID, Tokenizer
from moe_ref import MoeModel

PROMPTS = [
    "Hello, world!",
    "Zürich — Ελληνικά",
    "A",
    "The quick brown fox jumps over a lazy dog",
    "Once upon a time, ",
]
GREEDY_STEPS = 32
TOP_N = 20
MIN_GATE_MARGIN, MIN_GATE_MARGIN_GENERATED, MIN_GREEDY_MARGIN = 1e-3, 1e-4, 1e-2
MIN_PROMPT_ARGMAX_MARGIN = 1e-3


def gate_margin(probs, k, j=None):
    """min over tokens of p_j - p_(j+1), probabilities sorted descending; j defaults to k
    (selection boundary); j < k is an ordering boundary among the selected experts."""
    s = torch.sort(probs, dim=-1, descending=True).values
    j = k if j is None else j
    return float((s[:, j - 1] - s[:, j]).min())


def make_case(m, tok, prompt):
    ids = tok.encode(prompt)
    fw = m.forward(ids)
    routing = [[{"experts": [int(x) for x in e], "weights": [float(x) for x in w]}
                for e, w in zip(es, ws)] for es, ws in fw["routing"]]
    top = torch.topk(fw["logits"], TOP_N, dim=-1)
    top_logits = [{"ids": [int(x) for x in i], "values": [float(x) for x in v]}
                  for i, v in zip(top.indices, top.values)]
    new, greedy_margin = m.greedy(ids, GREEDY_STEPS)
    # routing used at every processed position (prompt + generated but last)
    full = m.forward(ids + new[:-1])
    gm_prompt = min(gate_margin(p[: len(ids)], m.k) for p in fw["router_probs"])
    gm_all = min(gate_margin(p, m.k) for p in full["router_probs"])
    order = min(gate_margin(p[: len(ids)], m.k, j)
                for p in fw["router_probs"] for j in range(1, m.k))
    # informational: smallest gap among the top-21 values (order / membership of top-20)
    v21 = torch.topk(fw["logits"], TOP_N + 1, dim=-1).values
    top20_gap = float((v21[:, :-1] - v21[:, 1:]).min())
    argmax_prompt = float((v21[:, 0] - v21[:, 1]).min())
    case = {"prompt": prompt, "input_ids": ids, "routing": routing, "top_logits": top_logits,
            "greedy": {"ids": new, "text": tok.decode(new)},
            "min_gate_margin": gm_prompt, "min_greedy_margin": greedy_margin}
    stats = {"gate_prompt": gm_prompt, "order_prompt": order, "gate_all": gm_all,
             "greedy": greedy_margin, "argmax_prompt": argmax_prompt, "top20_gap": top20_gap, "special_in_greedy": any(256 <= t < FIRST_MERGE_ID for t in new)}
    return case, stats


def passes(st, gate=MIN_GATE_MARGIN, gate_generated=MIN_GATE_MARGIN_GENERATED, greedy=MIN_GREEDY_MARGIN,
           prompt_argmax=MIN_PROMPT_ARGMAX_MARGIN, allow_special=False):
    """Whether make_case's stats clear every margin threshold."""
    return (min(st["gate_prompt"], st["order_prompt"]) > gate and st["gate_all"] > gate_generated
            and st["greedy"] > greedy and st["argmax_prompt"] > prompt_argmax
            and (allow_special or not st["special_in_greedy"]))


def cross_check(model_dir, m, cases):
    # 1) sparse (per-expert gather/index_add, like HF) vs dense (all experts, masked)
    ids = max((c["input_ids"] for c in cases), key=len)
    fw = m.forward(ids)
    moe_diff = max(float((m.moe(h, i)[0] - m.moe_dense(h, i)).abs().max())
                   for i, h in zip(m.moe_layers, fw["moe_in"]))
    # 2) float64 forward: same routing, same greedy ids, logit drift
    m64 = MoeModel.load(model_dir, torch.float64)
    same_routing, same_greedy, logit_diff = True, True, 0.0
    for c in cases:
        f64 = m64.forward(c["input_ids"])
        same_routing &= all([[int(x) for x in e] for e in es] == [r["experts"] for r in layer]
                            for (es, _), layer in zip(f64["routing"], c["routing"]))
        f32 = m.forward(c["input_ids"])["logits"].double()
        logit_diff = max(logit_diff, float((f32 - f64["logits"]).abs().max()))
        same_greedy &= m64.greedy(c["input_ids"], GREEDY_STEPS)[0] == c["greedy"]["ids"]
    return {"max_abs_moe_sparse_vs_dense": moe_diff, "max_abs_logit_f32_vs_f64": logit_diff,
            "f64_same_routing": same_routing, "f64_same_greedy": same_greedy}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model_dir")
    ap.add_argument("--name", required=True, help='"model" field, e.g. tiny-random')
    ap.add_argument("--dtype", required=True, help='"dtype" field, e.g. BF16')
    ap.add_argument("--no-cross-check", action="store_true")
    ap.add_argument("--prompts", help="JSON file with a list of candidate prompts (default: the built-in five)")
    ap.add_argument("--cases", type=int, default=0,
                    help="keep the first N candidates that pass and skip failing ones (0: all must pass)")
    ap.add_argument("--min-gate-margin", type=float, default=MIN_GATE_MARGIN)
    ap.add_argument("--min-gate-margin-generated", type=float, default=MIN_GATE_MARGIN_GENERATED)
    ap.add_argument("--min-greedy-margin", type=float, default=MIN_GREEDY_MARGIN)
    ap.add_argument("--min-prompt-argmax-margin", type=float, default=MIN_PROMPT_ARGMAX_MARGIN)
    ap.add_argument("--allow-special", action="store_true", help="allow <s>/</s> among the greedy ids")
    a = ap.parse_args()

    prompts = PROMPTS
    if a.prompts:
        with open(a.prompts, encoding="utf-8") as f:
            prompts = json.load(f)
    m = MoeModel.load(a.model_dir)
    tok = Tokenizer.load(os.path.join(a.model_dir, "tokenizer.json"))
    cases, ok = [], True
    for p in prompts:
        if a.cases and len(cases) == a.cases:
            break
        case, st = make_case(m, tok, p)
        print(f"{p!r:45} gate(prompt)={st['gate_prompt']:.4g} order(prompt)={st['order_prompt']:.4g} "
              f"gate(all)={st['gate_all']:.4g} "
              f"greedy={st['greedy']:.4g} argmax(prompt)={st['argmax_prompt']:.4g} top20gap={st['top20_gap']:.3g} text={case['greedy']['text']!r}")
        passed = passes(st, a.min_gate_margin, a.min_gate_margin_generated, a.min_greedy_margin,
                        a.min_prompt_argmax_margin, a.allow_special)
        if passed or not a.cases:
            cases.append(case)
            ok &= passed
        else:
            print("  skipped: a margin is below its threshold")
    if a.cases and len(cases) < a.cases:
        sys.exit(f"only {len(cases)} of the candidate prompts pass the margin checks; {a.cases} needed")
    print(f"min gate margin {min(c['min_gate_margin'] for c in cases):.4g}, "
          f"min greedy margin {min(c['min_greedy_margin'] for c in cases):.4g}")
    if not a.no_cross_check:
        cc = cross_check(a.model_dir, m, cases)
        print(json.dumps(cc))
        ok &= cc["f64_same_routing"] and cc["f64_same_greedy"] and cc["max_abs_moe_sparse_vs_dense"] < 1e-4
    if not ok:
        sys.exit("margin / cross checks FAILED; golden.json not written (change seed or scales)")
    out = {"model": a.name, "dtype": a.dtype, "ignore_eos": True}
    if m.a.model_type != "mixtral":
        # Mixtral's files stay byte for byte as before: absent means every decoder layer is sparse
        out["moe_layers"] = list(m.moe_layers)
    out["cases"] = cases
    with open(os.path.join(a.model_dir, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.join(a.model_dir, "golden.json"))


if __name__ == "__main__":
    main()
