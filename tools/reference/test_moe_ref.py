"""Checks of moe_ref.py against an independent naive computation (runs in seconds to a minute, depending on the load):

    cd tools/reference && /usr/bin/python3 -m unittest test_moe_ref

The naive model below reads config.json keys and tensor names itself (not through moe_ref.Arch)
and computes token by token, head by head in float64 numpy, written from the transformers
sources named in moe_ref.py.
"""
import math
import os
import unittest

import numpy as np
import torch

import make_family_models as fam
from mixtral_ref import Mixtral
from moe_ref import MoeModel, arch_of

ROOT = fam.ROOT
IDS = [72, 101, 108, 108, 111, 33, 7]       # 7 tokens: every head and group sees some context


def naive_is_sparse(cfg, i):
    mt = cfg["model_type"]
    if mt in ("mixtral", "olmoe"):
        return True
    if mt == "deepseek":
        return i >= cfg["first_k_dense_replace"] and i % cfg["moe_layer_freq"] == 0
    return i not in cfg["mlp_only_layers"] and (i + 1) % cfg["decoder_sparse_step"] == 0


def naive_forward(cfg, w):
    """float64 logits [T, V] and per sparse layer the chosen experts [T][k]."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    mt, D, H, KV = cfg["model_type"], cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg["head_dim"] if mt == "qwen3_moe" else D // H
    eps, theta, k = cfg["rms_norm_eps"], cfg["rope_theta"], cfg["num_experts_per_tok"]
    moe = "block_sparse_moe" if mt == "mixtral" else "mlp"
    names = ("w1", "w3", "w2") if mt == "mixtral" else ("gate_proj", "up_proj", "down_proj")

    def rms(x, g):
        return x / math.sqrt(float(np.mean(x * x)) + eps) * g

    def lin(x, name):
        y = w[name + ".weight"] @ x
        return y + w[name + ".bias"] if name + ".bias" in w else y

    def swiglu(x, p, n=("gate_proj", "up_proj", "down_proj")):
        a = lin(x, p + n[0])
        return lin(a / (1 + np.exp(-a)) * lin(x, p + n[1]), p + n[2])

    def rope(v, t):
        out, half = v.copy(), hd // 2
        for j in range(half):
            ang = t * float(np.float32(1.0 / theta ** (2 * j / hd)))
            c, s = math.cos(ang), math.sin(ang)
            out[j], out[j + half] = v[j] * c - v[j + half] * s, v[j + half] * c + v[j] * s
        return out

    x = [w["model.embed_tokens.weight"][t] for t in IDS]
    chosen = []
    for i in range(cfg["num_hidden_layers"]):
        p, a = f"model.layers.{i}.", f"model.layers.{i}.self_attn."
        q, kk, vv = [], [], []
        for t, xt in enumerate(x):
            h = rms(xt, w[p + "input_layernorm.weight"])
            qt, kt, vt = lin(h, a + "q_proj"), lin(h, a + "k_proj"), lin(h, a + "v_proj")
            if mt == "olmoe":
                qt, kt = rms(qt, w[a + "q_norm.weight"]), rms(kt, w[a + "k_norm.weight"])
                if cfg.get("clip_qkv"):
                    qt, kt, vt = (np.clip(u, -cfg["clip_qkv"], cfg["clip_qkv"]) for u in (qt, kt, vt))
            qt, kt, vt = qt.reshape(H, hd), kt.reshape(KV, hd), vt.reshape(KV, hd)
            if mt == "qwen3_moe":
                qt = np.stack([rms(u, w[a + "q_norm.weight"]) for u in qt])
                kt = np.stack([rms(u, w[a + "k_norm.weight"]) for u in kt])
            q.append([rope(u, t) for u in qt])
            kk.append([rope(u, t) for u in kt])
            vv.append(vt)
        for t in range(len(x)):
            heads = []
            for hh in range(H):
                g = hh // (H // KV)
                s = np.array([q[t][hh] @ kk[u][g] / math.sqrt(hd) for u in range(t + 1)])
                e = np.exp(s - s.max())
                heads.append(sum(e[u] / e.sum() * vv[u][g] for u in range(t + 1)))
            x[t] = x[t] + lin(np.concatenate(heads), a + "o_proj")
        layer_choice = []
        for t in range(len(x)):
            h = rms(x[t], w[p + "post_attention_layernorm.weight"])
            if not naive_is_sparse(cfg, i):
                x[t] = x[t] + swiglu(h, p + "mlp.")
                continue
            m = f"{p}{moe}."
            logits = w[m + "gate.weight"] @ h
            prob = np.exp(logits - logits.max())
            prob /= prob.sum()
            top = list(np.argsort(-prob, kind="stable")[:k])
            wt = prob[top] / (prob[top].sum() if mt == "mixtral" or cfg["norm_topk_prob"] else 1.0)
            out = sum(wj * swiglu(h, f"{m}experts.{e}.", names) for e, wj in zip(top, wt))
            if mt == "qwen2_moe":
                out = out + swiglu(h, m + "shared_expert.") / (1 + np.exp(-lin(h, m + "shared_expert_gate")))
            if mt == "deepseek":
                out = out + swiglu(h, m + "shared_experts.")
            x[t] = x[t] + out
            layer_choice.append([int(e) for e in top])
        if layer_choice:
            chosen.append(layer_choice)
    logits = np.stack([w["lm_head.weight"] @ rms(xt, w["model.norm.weight"]) for xt in x])
    return logits, chosen


class MoeRefTest(unittest.TestCase):

    def family(self, name, **overrides):
        cfg = dict(fam.config(name), **overrides)
        return cfg, fam.bf16_rounded(fam.random_weights(cfg, 1))

    def assert_matches_naive(self, cfg, w):
        ref = MoeModel(cfg, w).forward(IDS)
        naive_logits, naive_chosen = naive_forward(cfg, w)
        self.assertEqual([[list(map(int, row)) for row in e] for e, _ in ref["routing"]], naive_chosen)
        diff = float(np.abs(ref["logits"].double().numpy() - naive_logits).max())
        self.assertLess(diff, 1e-4 * float(np.abs(naive_logits).max()), f"max abs logit diff {diff}")

    def test_every_family_matches_the_naive_model(self):
        for name in fam.FAMILIES:
            with self.subTest(family=name):
                self.assert_matches_naive(*self.family(name))

    def test_olmoe_clip_qkv_matches_the_naive_model_and_changes_logits(self):
        cfg, w = self.family("olmoe", clip_qkv=0.5)
        self.assert_matches_naive(cfg, w)
        unclipped = MoeModel(dict(cfg, clip_qkv=None), w).forward(IDS)["logits"]
        self.assertGreater(float((MoeModel(cfg, w).forward(IDS)["logits"] - unclipped).abs().max()), 1e-3)

    def test_sparse_and_dense_moe_agree_for_every_family(self):
        for name in fam.FAMILIES:
            with self.subTest(family=name):
                m = MoeModel(*self.family(name))
                fw = m.forward(IDS)
                self.assertEqual(len(fw["moe_in"]), len(m.moe_layers))
                for i, h in zip(m.moe_layers, fw["moe_in"]):
                    diff = float((m.moe(h, i)[0] - m.moe_dense(h, i)).abs().max())
                    self.assertLess(diff, 1e-5)

    def test_configs_give_the_sparse_layers_and_shapes(self):
        arch = {name: arch_of(fam.config(name)) for name in fam.FAMILIES}
        self.assertEqual(arch["qwen2-moe"].moe_layers, (0, 2))        # mlp_only_layers [1]
        self.assertEqual(arch["deepseek-moe"].moe_layers, (1, 2))     # first_k_dense_replace 1
        self.assertEqual(arch["qwen3-moe"].moe_layers, (0, 1, 2))
        self.assertEqual(arch["olmoe"].moe_layers, (0, 1, 2))
        self.assertEqual(arch["qwen3-moe"].head_dim, 32)
        self.assertEqual(arch["qwen2-moe"].attn_bias, ("q", "k", "v"))
        self.assertEqual((arch["deepseek-moe"].shared_intermediate, arch["deepseek-moe"].shared_gated), (64, False))
        self.assertEqual((arch["qwen2-moe"].shared_intermediate, arch["qwen2-moe"].shared_gated), (64, True))
        self.assertEqual([arch[n].norm_topk_prob for n in fam.FAMILIES], [False, True, False, False])

    def test_unsupported_configs_are_rejected_with_the_reason(self):
        with self.assertRaisesRegex(ValueError, r"\['LlamaForCausalLM'\].*supported: MixtralForCausalLM, "
                                                r"Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, OlmoeForCausalLM, "
                                                r"DeepseekForCausalLM"):
            arch_of({"architectures": ["LlamaForCausalLM"], "model_type": "llama"})
        with self.assertRaisesRegex(ValueError, "rope_scaling"):
            arch_of(dict(fam.config("qwen3-moe"), rope_scaling={"rope_type": "yarn", "factor": 4.0}))
        with self.assertRaisesRegex(ValueError, "use_sliding_window"):
            arch_of(dict(fam.config("qwen2-moe"), use_sliding_window=True))

    def test_mixtral_is_computed_exactly_as_mixtral_ref(self):
        model_dir = os.path.join(ROOT, "models", "tiny-random")
        old, new = Mixtral.load(model_dir).forward(IDS), MoeModel.load(model_dir).forward(IDS)
        self.assertTrue(torch.equal(old["logits"], new["logits"]))
        for (e0, w0), (e1, w1) in zip(old["routing"], new["routing"]):
            self.assertTrue(torch.equal(e0, e1) and torch.equal(w0, w1))

    def test_generated_checkpoints_load_with_real_names(self):
        for name in fam.FAMILIES:
            for model_dir in fam.dirs(name):
                if not os.path.isdir(model_dir):
                    continue
                with self.subTest(model_dir=model_dir):
                    m = MoeModel.load(model_dir)
                    a = m.a
                    expected = {f"{a.moe_prefix(i)}experts.{e}.{n}.weight" for i in a.moe_layers
                                for e in range(a.experts) for n in a.expert_names()}
                    self.assertTrue(expected <= set(m.w))
                    self.assertTrue(all(f"model.layers.{i}.mlp.gate_proj.weight" in m.w
                                        for i in range(a.layers) if i not in a.moe_layers))


if __name__ == "__main__":
    unittest.main()
