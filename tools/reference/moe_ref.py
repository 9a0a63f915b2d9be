"""Plain PyTorch reference of five open MoE families' inference (no KV cache, batch 1).

One decoder (RMSNorm -> attention -> RMSNorm -> MoE or dense MLP, residuals; final RMSNorm,
lm_head) with the per-family differences read from config.json into an `Arch`:

| model_type | transformers class (source mirrored)                                           |
|------------|---------------------------------------------------------------------------------|
| mixtral    | MixtralForCausalLM   models/mixtral/modeling_mixtral.py                        |
| qwen2_moe  | Qwen2MoeForCausalLM  models/qwen2_moe/modeling_qwen2_moe.py                     |
| qwen3_moe  | Qwen3MoeForCausalLM  models/qwen3_moe/modeling_qwen3_moe.py                     |
| olmoe      | OlmoeForCausalLM     models/olmoe/modeling_olmoe.py                             |
| deepseek   | DeepseekForCausalLM  hub remote code deepseek-ai/deepseek-moe-16b-base          |
|            |                      modeling_deepseek.py (DeepseekMoE, MoEGate, DeepseekMLP)   |

Shared by all: RMSNorm x * rsqrt(mean(x^2) + eps) * w; RoPE in the rotate_half layout with
float32 angles; GQA by repeat_kv; SwiGLU experts down(silu(gate x) * up x); router softmax over
all experts, top-k, renormalised only when norm_topk_prob (Mixtral always renormalises).
Per family:
  * qwen2_moe: q/k/v bias (Qwen2MoeAttention, qkv_bias defaults to true); shared expert
    scaled by sigmoid(shared_expert_gate(x)) and added to the routed sum
    (Qwen2MoeSparseMoeBlock); layer i is sparse iff i not in mlp_only_layers and
    num_experts > 0 and (i + 1) % decoder_sparse_step == 0, otherwise a dense
    Qwen2MoeMLP(intermediate_size).
  * qwen3_moe: per-head RMSNorm of q and k (weight [head_dim]) after the head reshape and
    before RoPE (Qwen3MoeAttention); head_dim from config; sparsity rule as qwen2_moe.
  * olmoe: RMSNorm over the whole q projection and the whole k projection before the head
    reshape (OlmoeAttention), then clamp q, k, v to +-clip_qkv when set; every layer sparse,
    experts sized intermediate_size.
  * deepseek: layer i is sparse iff n_routed_experts is set and i >= first_k_dense_replace and
    i % moe_layer_freq == 0, otherwise DeepseekMLP(intermediate_size); sparse layers add
    ungated shared experts DeepseekMLP(moe_intermediate_size * n_shared_experts). MoEGate
    returns its top-k unsorted (sorted=False); the sum does not depend on the order, and here
    the k experts are listed by descending weight as for the other families.
Weights are widened to float32 on load; every activation is float32 (or float64 when asked,
for a numerical-sensitivity cross check). Routing and MoE inputs are reported per MoE layer,
numbered 0..len(moe_layers)-1 in decoder order.
"""
import json
import math
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F

import safetensors_io

torch.set_num_threads(2)

ARCHITECTURES = {
    "mixtral": "MixtralForCausalLM",
    "qwen2_moe": "Qwen2MoeForCausalLM",
    "qwen3_moe": "Qwen3MoeForCausalLM",
    "olmoe": "OlmoeForCausalLM",
    "deepseek": "DeepseekForCausalLM",
}
SWIGLU = ("gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class Arch:
    """What differs between the families, derived from config.json by `arch_of`."""
    model_type: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    eps: float
    rope_theta: float
    experts: int
    top_k: int
    norm_topk_prob: bool
    moe_layers: tuple          # decoder layer indices that are sparse, ascending
    expert_intermediate: int
    dense_intermediate: int    # dense MLP layers (0 when every layer is sparse)
    shared_intermediate: int   # 0: no shared expert
    shared_gated: bool         # qwen2_moe: shared expert x sigmoid(shared_expert_gate x)
    attn_bias: tuple           # projections with a bias, subset of ("q", "k", "v", "o")
    qk_norm: str               # "" | "head" (qwen3_moe) | "full" (olmoe)
    clip_qkv: float            # 0: off

    def moe_prefix(self, i):
        return f"model.layers.{i}.{'block_sparse_moe' if self.model_type == 'mixtral' else 'mlp'}."

    def expert_names(self):
        """(gate, up, down) projection names of a routed expert."""
        return ("w1", "w3", "w2") if self.model_type == "mixtral" else SWIGLU

    def shared_prefix(self, i):
        return self.moe_prefix(i) + ("shared_expert." if self.model_type == "qwen2_moe" else "shared_experts.")


def unsupported(cfg):
    return ValueError(
        f"unsupported architecture {cfg.get('architectures')} (model_type {cfg.get('model_type')!r}); "
        f"supported: {', '.join(ARCHITECTURES.values())}")


def _sparse_qwen(cfg, i):
    # Qwen2MoeDecoderLayer / Qwen3MoeDecoderLayer
    return (i not in cfg.get("mlp_only_layers", []) and cfg["num_experts"] > 0
            and (i + 1) % cfg.get("decoder_sparse_step", 1) == 0)


def _sparse_deepseek(cfg, i):
    # DeepseekDecoderLayer
    return (cfg.get("n_routed_experts") is not None and i >= cfg.get("first_k_dense_replace", 0)
            and i % cfg.get("moe_layer_freq", 1) == 0)


def arch_of(cfg):
    mt = cfg.get("model_type")
    if mt not in ARCHITECTURES:
        raise unsupported(cfg)
    if cfg.get("rope_scaling") is not None:
        raise ValueError(f"rope_scaling {cfg['rope_scaling']} is not implemented (only plain RoPE)")
    if cfg.get("use_sliding_window", False):
        raise ValueError("use_sliding_window: true is not implemented (full causal attention only)")
    if mt == "deepseek" and cfg.get("scoring_func", "softmax") != "softmax":
        raise ValueError(f"deepseek scoring_func {cfg['scoring_func']!r} is not implemented (softmax only)")
    D, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    hd = D // H if mt in ("olmoe", "deepseek") else (cfg.get("head_dim") or D // H)
    bias = ("q", "k", "v", "o") if cfg.get("attention_bias", False) else ()
    common = dict(model_type=mt, hidden=D, layers=L, heads=H,
                  kv_heads=cfg.get("num_key_value_heads") or H, head_dim=hd,
                  eps=cfg["rms_norm_eps"], rope_theta=float(cfg["rope_theta"]),
                  top_k=cfg["num_experts_per_tok"], shared_intermediate=0, shared_gated=False,
                  dense_intermediate=0, attn_bias=bias, qk_norm="", clip_qkv=0.0)
    if mt == "mixtral":
        return Arch(**common, experts=cfg["num_local_experts"], norm_topk_prob=True,
                    moe_layers=tuple(range(L)), expert_intermediate=cfg["intermediate_size"])
    if mt in ("qwen2_moe", "qwen3_moe"):
        qwen2 = mt == "qwen2_moe"
        moe = tuple(i for i in range(L) if _sparse_qwen(cfg, i))
        return Arch(**dict(common, shared_gated=qwen2,
                           shared_intermediate=cfg.get("shared_expert_intermediate_size", 0) if qwen2 else 0,
                           dense_intermediate=cfg["intermediate_size"] if len(moe) < L else 0,
                           attn_bias=("q", "k", "v") if qwen2 and cfg.get("qkv_bias", True) else bias,
                           qk_norm="" if qwen2 else "head"),
                    experts=cfg["num_experts"], norm_topk_prob=cfg.get("norm_topk_prob", False),
                    moe_layers=moe, expert_intermediate=cfg["moe_intermediate_size"])
    if mt == "olmoe":
        return Arch(**dict(common, qk_norm="full", clip_qkv=float(cfg.get("clip_qkv") or 0.0)),
                    experts=cfg["num_experts"], norm_topk_prob=cfg.get("norm_topk_prob", False),
                    moe_layers=tuple(range(L)), expert_intermediate=cfg["intermediate_size"])
    moe = tuple(i for i in range(L) if _sparse_deepseek(cfg, i))
    return Arch(**dict(common, dense_intermediate=cfg["intermediate_size"] if len(moe) < L else 0,
                       shared_intermediate=cfg["moe_intermediate_size"] * (cfg.get("n_shared_experts") or 0)),
                experts=cfg["n_routed_experts"], norm_topk_prob=cfg.get("norm_topk_prob", False),
                moe_layers=moe, expert_intermediate=cfg["moe_intermediate_size"])


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


class MoeModel:
    def __init__(self, cfg, weights, dtype=torch.float32):
        self.cfg, self.dtype, self.a = cfg, dtype, arch_of(cfg)
        self.w = {k: torch.from_numpy(v).to(dtype) for k, v in weights.items()}
        if cfg.get("tie_word_embeddings", False):
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]
        self.k, self.moe_layers = self.a.top_k, self.a.moe_layers

    @classmethod
    def load(cls, model_dir, dtype=torch.float32):
        cfg = load_config(model_dir)
        arch_of(cfg)  # fail on an unsupported config before reading the weights
        weights, _ = safetensors_io.read(model_dir)
        return cls(cfg, weights, dtype)

    def rmsnorm(self, x, name):
        # <Family>RMSNorm: x * rsqrt(mean(x^2) + eps), then * weight (over the last dim)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.a.eps) * self.w[name]

    def rope(self, x, pos):
        # <Family>RotaryEmbedding: inv_freq = 1/theta^(2i/d) and angles in float32 as HF does
        # (also in float64 mode, which only widens the activations);
        # apply_rotary_pos_emb: x*cos + rotate_half(x)*sin, rotate_half(x) = [-x2, x1]
        d = self.a.head_dim
        inv_freq = 1.0 / (self.a.rope_theta ** (torch.arange(0, d, 2).float() / d))
        ang = pos.to(torch.float32)[:, None] * inv_freq[None, :]            # [T, d/2]
        cos, sin = ang.cos().to(self.dtype), ang.sin().to(self.dtype)
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    def proj(self, x, p, name):
        return F.linear(x, self.w[f"{p}{name}_proj.weight"],
                        self.w[f"{p}{name}_proj.bias"] if name in self.a.attn_bias else None)

    def attention(self, x, i):
        a, p, T = self.a, f"model.layers.{i}.self_attn.", x.shape[0]
        q, k, v = self.proj(x, p, "q"), self.proj(x, p, "k"), self.proj(x, p, "v")
        if a.qk_norm == "full":                 # OlmoeAttention: over the whole projection
            q, k = self.rmsnorm(q, p + "q_norm.weight"), self.rmsnorm(k, p + "k_norm.weight")
        if a.clip_qkv:                          # OlmoeAttention: clamp_ after the norms
            q, k, v = (t.clamp(-a.clip_qkv, a.clip_qkv) for t in (q, k, v))
        q, k, v = q.view(T, a.heads, a.head_dim), k.view(T, a.kv_heads, a.head_dim), v.view(T, a.kv_heads, a.head_dim)
        if a.qk_norm == "head":                 # Qwen3MoeAttention: per head, weight [head_dim]
            q, k = self.rmsnorm(q, p + "q_norm.weight"), self.rmsnorm(k, p + "k_norm.weight")
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        pos = torch.arange(T)
        q, k = self.rope(q, pos), self.rope(k, pos)
        # repeat_kv: query head h reads kv head h // (H / KV)
        rep = a.heads // a.kv_heads
        k, v = k.repeat_interleave(rep, dim=0), v.repeat_interleave(rep, dim=0)
        s = q @ k.transpose(1, 2) / math.sqrt(a.head_dim)                   # [H, T, T]
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        o = torch.softmax(s, dim=-1) @ v                                    # [H, T, hd]
        return self.proj(o.transpose(0, 1).reshape(T, a.heads * a.head_dim), p, "o")

    def mlp(self, x, p, names=SWIGLU):
        # SwiGLU: MixtralBlockSparseTop2MLP w2(silu(w1 x) * w3 x), <Family>MLP
        # down_proj(silu(gate_proj x) * up_proj x)
        g, u, d = (self.w[f"{p}{n}.weight"] for n in names)
        return F.linear(F.silu(F.linear(x, g)) * F.linear(x, u), d)

    def expert(self, x, i, e):
        return self.mlp(x, f"{self.a.moe_prefix(i)}experts.{e}.", self.a.expert_names())

    def shared(self, x, i):
        if not self.a.shared_intermediate:
            return None
        out = self.mlp(x, self.a.shared_prefix(i))
        if self.a.shared_gated:                 # Qwen2MoeSparseMoeBlock
            out = torch.sigmoid(F.linear(x, self.w[self.a.moe_prefix(i) + "shared_expert_gate.weight"])) * out
        return out

    def route(self, x, i):
        # softmax over all experts, top-k (descending), renormalise if norm_topk_prob
        probs = torch.softmax(F.linear(x, self.w[self.a.moe_prefix(i) + "gate.weight"]), dim=-1)
        top_w, top_e = torch.topk(probs, self.k, dim=-1)
        if self.a.norm_topk_prob:
            top_w = top_w / top_w.sum(-1, keepdim=True)
        return top_e, top_w, probs

    def moe(self, x, i):
        """Sparse path, like HF: each expert only sees the tokens routed to it; then the
        shared expert(s) on every token."""
        top_e, top_w, probs = self.route(x, i)
        out = torch.zeros_like(x)
        for e in range(self.a.experts):
            tok, slot = torch.nonzero(top_e == e, as_tuple=True)
            if len(tok):
                out.index_add_(0, tok, self.expert(x[tok], i, e) * top_w[tok, slot, None])
        shared = self.shared(x, i)
        return (out if shared is None else out + shared), (top_e, top_w, probs)

    def moe_dense(self, x, i):
        """Second formulation for cross-checking: run every expert on every token, then
        combine with a [T, E] weight matrix that is zero for unselected experts."""
        top_e, top_w, _ = self.route(x, i)
        mask = torch.zeros(x.shape[0], self.a.experts, dtype=x.dtype).scatter(1, top_e, top_w)
        all_out = torch.stack([self.expert(x, i, e) for e in range(self.a.experts)], dim=1)
        out = (mask[:, :, None] * all_out).sum(1)
        shared = self.shared(x, i)
        return out if shared is None else out + shared

    @torch.no_grad()
    def forward(self, ids):
        """ids: list[int] -> dict(logits [T, V], and per MoE layer (in decoder order):
        routing (experts [T,k], weights [T,k]), router_probs [T, E], moe_in [T, hidden])."""
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
        routing, probs, moe_in = [], [], []
        for i in range(self.a.layers):
            x = x + self.attention(self.rmsnorm(x, f"model.layers.{i}.input_layernorm.weight"), i)
            h = self.rmsnorm(x, f"model.layers.{i}.post_attention_layernorm.weight")
            if i in self.moe_layers:
                out, (e, w, p) = self.moe(h, i)
                routing.append((e, w))
                probs.append(p)
                moe_in.append(h)
            else:
                out = self.mlp(h, f"model.layers.{i}.mlp.")
            x = x + out
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
