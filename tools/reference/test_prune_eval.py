"""Checks of prune_eval.py (seconds; the last one also needs the rebuilt corpus, ~20 s more):

    cd tools/reference && /usr/bin/python3 -m unittest test_prune_eval

With nothing pruned it must score exactly as tools/train/evaluate.py does; with experts pruned no
token may reach them, and the gate must be Java's TopKGate with an availability mask (next-best
experts by logit, ties to the lower index, weights = softmax over the chosen logits).
"""
import json
import math
import os
import unittest

import numpy as np
import torch

import prune_eval as pe
from evaluate import EOS, load_heldout, score_windows, select_docs
from mixtral_ref import Mixtral

MODEL = os.path.join(pe.ROOT, "models", "mesh-mini-16e")
DATA = os.environ.get("MOEMESH_CORPUS", os.path.join(pe.ROOT, "tools", "train", "data"))
TEXTS = ["The secret of life is a fortune cookie.", "Das Leben ist kurz.", "Жизнь — это то, что с нами происходит.",
         "Apple \\Ap\"ple\\, n. The fleshy pome or fruit of a rosaceous tree. " * 12]   # > 256 tokens: two windows


def naive_gate(logits, k, pruned):
    """TopKGate.gate(logits, 0, n, k, available, true) written out for one token."""
    chosen = []
    for _ in range(k):
        best = -1
        for e in range(len(logits)):
            if e not in pruned and e not in chosen and (best < 0 or logits[e] > logits[best]):
                best = e
        chosen.append(best)
    w = [math.exp(logits[e] - logits[chosen[0]]) for e in chosen]
    return chosen, [x / sum(w) for x in w]


class PruneEvalTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.m = pe.PrunedMixtral.load(MODEL)
        cls.ref = Mixtral.load(MODEL)
        cls.tok = pe.Tokenizer.load(os.path.join(MODEL, "tokenizer.json"))
        cls.encoded = pe.encode_docs(cls.tok, [{"lang": "en", "src": "t", "text": t} for t in TEXTS])

    def test_nothing_pruned_scores_exactly_as_evaluate(self):
        stats = pe.evaluate_pruned(self.m, self.encoded, [])["en"]
        bits = 0.0
        for _, _, ids, tgt in self.encoded:
            for _, _, b, _ in score_windows(self.ref, ids, tgt, 256):
                bits += float(b.sum())
        self.assertGreater(max(len(ids) for _, _, ids, _ in self.encoded), 256)
        self.assertEqual(stats["bits"], bits)
        np.testing.assert_array_equal(stats["used"], stats["wanted"])

    def test_pruned_experts_never_receive_tokens(self):
        pruned = {1, 4, 13}
        self.m.pruned = frozenset(pruned)
        try:
            fw = self.m.forward(self.tok.encode(TEXTS[2]))
        finally:
            self.m.pruned = frozenset()
        for top_e, top_w in fw["routing"]:
            self.assertFalse(any(int(e) in pruned for e in top_e.reshape(-1)))
            torch.testing.assert_close(top_w.sum(-1), torch.ones(top_e.shape[0]))
        stats = pe.evaluate_pruned(self.m, self.encoded, pruned)["en"]
        self.assertEqual(stats["used"][:, sorted(pruned)].sum(), 0)
        self.assertGreater(stats["wanted"][:, sorted(pruned)].sum(), 0, "the unmasked demand stays visible")

    def test_masked_gate_is_javas_top_k_gate_with_availability(self):
        pruned = {0, 1, 5, 11}
        h = self.ref.forward(self.tok.encode(TEXTS[0]))["moe_in"]
        self.m.pruned = frozenset(pruned)
        try:
            for layer, x in enumerate(h):
                top_e, top_w, probs = self.m.route(x, layer)
                logits = torch.nn.functional.linear(x, self.m.w[f"model.layers.{layer}.block_sparse_moe.gate.weight"])
                torch.testing.assert_close(probs, torch.softmax(logits, -1))
                for t in range(x.shape[0]):
                    experts, weights = naive_gate(logits[t].tolist(), self.m.k, pruned)
                    self.assertEqual(top_e[t].tolist(), experts)
                    np.testing.assert_allclose(top_w[t].tolist(), weights, rtol=0, atol=1e-6)
        finally:
            self.m.pruned = frozenset()

    def test_refuses_to_prune_below_top_k(self):
        self.m.pruned = frozenset(range(15))
        try:
            with self.assertRaisesRegex(ValueError, "fewer than top-2"):
                self.m.forward([EOS, 72])
        finally:
            self.m.pruned = frozenset()

    def test_coldest_first_orders_by_share_with_ties_to_the_lower_index(self):
        counts = np.array([[5, 1, 3, 1], [5, 1, 3, 1]])
        share = pe.shares(counts)
        self.assertAlmostEqual(float(share.sum()), 1.0)
        self.assertEqual(pe.coldest_first(share), [1, 3, 2, 0])

    def test_expert_memory_from_config(self):
        mem = pe.expert_memory(self.m.cfg)
        self.assertEqual(mem["parameters"], 3 * 192 * 384 * 4)
        self.assertEqual(mem["f32_bytes"], 2 * mem["bf16_bytes"])

    @unittest.skipUnless(os.path.exists(os.path.join(DATA, "heldout.jsonl")),
                         "needs build_corpus.py's output in tools/train/data or $MOEMESH_CORPUS")
    def test_nothing_pruned_reproduces_the_model_cards_eval(self):
        with open(os.path.join(MODEL, "eval.json"), encoding="utf-8") as f:
            card = json.load(f)
        docs = select_docs(load_heldout(DATA), card["max_docs_per_lang"], 1234)
        stats = pe.evaluate_pruned(self.m, pe.encode_docs(self.tok, docs), [])
        for lang, expected in card["per_language"].items():
            s = stats[lang]
            self.assertEqual((s["docs"], s["bytes"], s["tokens"]),
                             (expected["docs"], expected["bytes"], expected["tokens"]))
            self.assertAlmostEqual(s["bits"] / s["bytes"], expected["bits_per_byte"], places=5, msg=lang)
        usage = card["expert_usage"]["ru"]
        np.testing.assert_allclose(stats["ru"]["used"] / stats["ru"]["used"].sum(1, keepdims=True), usage,
                                   atol=1e-5)


if __name__ == "__main__":
    unittest.main()
