"""Plain PyTorch reference of HF MixtralForCausalLM inference (no KV cache, batch 1).

Mirrors transformers/models/mixtral/modeling_mixtral.py: MixtralRMSNorm,
MixtralRotaryEmbedding + apply_rotary_pos_emb (rotate_half layout), MixtralAttention
(GQA via repeat_kv), MixtralSparseMoeBlock / MixtralBlockSparseTop2MLP, and
MixtralForCausalLM.lm_head. Weights are widened to float32 on load; every activation
is float32 (or float64 when asked, for a numerical-sensitivity cross check).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

import safetensors_io

torch.set_num_threads(2)


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type") != "mixtral":
        raise ValueError(f"not a mixtral config: {cfg.get('model_type')}")
    return cfg


class Mixtral:
    def __init__(self, cfg, weights, dtype=torch.float32):
        self.cfg, self.dtype = cfg, dtype
        self.w = {k: torch.from_numpy(v).to(dtype) for k, v in weights.items()}
        if cfg.get("tie_word_embeddings", False):
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]
        self.L = cfg["num_hidden_layers"]
        self.H, self.KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.hd = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.E, self.k = cfg["num_local_experts"], cfg["num_experts_per_tok"]
        self.eps = cfg["rms_norm_eps"]

    @classmethod
    def load(cls, model_dir, dtype=torch.float32):
        weights, _ = safetensors_io.read(model_dir)
        return cls(load_config(model_dir), weights, dtype)

    def rmsnorm(self, x, name):
        # MixtralRMSNorm: x * rsqrt(mean(x^2) + eps), then * weight
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w[name]

    def rope(self, x, pos):
        # MixtralRotaryEmbedding: inv_freq = 1/theta^(2i/d) and angles in float32 as HF does
        # (also in float64 mode, which only widens the activations);
        # apply_rotary_pos_emb: x*cos + rotate_half(x)*sin, rotate_half(x) = [-x2, x1]
        d = self.hd
        inv_freq = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, d, 2).float() / d))
        ang = pos.to(torch.float32)[:, None] * inv_freq[None, :]            # [T, d/2]
        cos, sin = ang.cos().to(self.dtype), ang.sin().to(self.dtype)
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    def attention(self, x, i):
        p = f"model.layers.{i}.self_attn."
        T = x.shape[0]
        q = F.linear(x, self.w[p + "q_proj.weight"]).view(T, self.H, self.hd).transpose(0, 1)
        k = F.linear(x, self.w[p + "k_proj.weight"]).view(T, self.KV, self.hd).transpose(0, 1)
        v = F.linear(x, self.w[p + "v_proj.weight"]).view(T, self.KV, self.hd).transpose(0, 1)
        pos = torch.arange(T)
        q, k = self.rope(q, pos), self.rope(k, pos)
        # repeat_kv: query head h reads kv head h // (H / KV)
        rep = self.H // self.KV
        k, v = k.repeat_interleave(rep, dim=0), v.repeat_interleave(rep, dim=0)
        s = q @ k.transpose(1, 2) / math.sqrt(self.hd)                      # [H, T, T]
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        a = torch.softmax(s, dim=-1) @ v                                    # [H, T, hd]
        return F.linear(a.transpose(0, 1).reshape(T, self.H * self.hd), self.w[p + "o_proj.weight"])

    def expert(self, x, i, e):
        # MixtralBlockSparseTop2MLP: w2(silu(w1 x) * w3 x)
        p = f"model.layers.{i}.block_sparse_moe.experts.{e}."
        return F.linear(F.silu(F.linear(x, self.w[p + "w1.weight"])) * F.linear(x, self.w[p + "w3.weight"]),
                        self.w[p + "w2.weight"])

    def route(self, x, i):
        # MixtralSparseMoeBlock: softmax over all experts, top-k, renormalise to sum 1
        probs = torch.softmax(F.linear(x, self.w[f"model.layers.{i}.block_sparse_moe.gate.weight"]), dim=-1)
        top_w, top_e = torch.topk(probs, self.k, dim=-1)                    # descending
        return top_e, top_w / top_w.sum(-1, keepdim=True), probs

    def moe(self, x, i):
        """Sparse path, like HF: each expert only sees the tokens routed to it."""
        top_e, top_w, probs = self.route(x, i)
        out = torch.zeros_like(x)
        for e in range(self.E):
            tok, slot = torch.nonzero(top_e == e, as_tuple=True)
            if len(tok):
                out.index_add_(0, tok, self.expert(x[tok], i, e) * top_w[tok, slot, None])
        return out, (top_e, top_w, probs)

    def moe_dense(self, x, i):
        """Second formulation for cross-checking: run every expert on every token, then
        combine with a [T, E] weight matrix that is zero for unselected experts."""
        top_e, top_w, _ = self.route(x, i)
        mask = torch.zeros(x.shape[0], self.E, dtype=x.dtype).scatter(1, top_e, top_w)
        all_out = torch.stack([self.expert(x, i, e) for e in range(self.E)], dim=1)  # [T, E, hidden]
        return (mask[:, :, None] * all_out).sum(1)

    @torch.no_grad()
    def forward(self, ids):
        """ids: list[int] -> dict(logits [T, V], routing: per layer (experts [T,k], weights [T,k]),
        router_probs: per layer [T, E], moe_in: per layer normed MoE input [T, hidden])."""
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
        routing, probs, moe_in = [], [], []
        for i in range(self.L):
            x = x + self.attention(self.rmsnorm(x, f"model.layers.{i}.input_layernorm.weight"), i)
            h = self.rmsnorm(x, f"model.layers.{i}.post_attention_layernorm.weight")
            out, (e, w, p) = self.moe(h, i)
            x = x + out
            routing.append((e, w))
            probs.append(p)
            moe_in.append(h)
        logits = F.linear(self.rmsnorm(x, "model.norm.weight"), self.w["lm_head.weight"])
        return {"logits": logits, "routing": routing, "router_probs": probs, "moe_in": moe_in}

    def greedy(self, ids, steps):
        """Exactly `steps` argmax tokens (eos ignored), full recompute per step.
        Returns (new ids, min top1-top2 logit margin over the steps)."""
        ids, new, margin = list(ids), [], float("inf")
        for _ in range(steps):
            last = self.forward(ids)["logits"][-1]
            top2 = torch.topk(last, 2).values
            margin = min(margin, float(top2[0] - top2[1]))
            nxt = int(torch.argmax(last))
            ids.append(nxt)
            new.append(nxt)
        return new, margin
