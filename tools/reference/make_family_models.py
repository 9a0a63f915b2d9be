"""Create tiny random checkpoints of the non-Mixtral families, in each family's real Hugging Face
layout (config.json keys and tensor names of the released models), for golden tests:

  models/tiny-<family>                                BF16, one model.safetensors (served by `moe up`)
  moe-core/src/test/resources/tiny-<family>-f32       the same (BF16-rounded) values stored as F32

with config.json, generation_config.json and the byte-level tokenizer.json of tiny-random.

Why a routing channel. With iid random routers a top-8-of-32 choice has a clear margin
(p_j - p_(j+1) > 1e-3 for the 8 selected and the first unselected expert) at only about half of
the tokens, so no seed gives clear margins at the ~300 (token, layer) pairs golden.py checks.
So the last GROUPS hidden dims form a channel: the embedding of token id v holds CHANNEL in dim
D - GROUPS + (v % GROUPS) and 0 in the other channel dims; no other weight reads or writes
those dims (their columns are zero in every projection of a normed hidden state but the
routers, their rows zero in every o_proj / down_proj), so each router sees
   logits = rank_g * SPACING * w / rms(x) + (a small random router over the other dims),
rank_g a fixed permutation of 0..E-1 per MoE layer and token group g. The sorted router logits
are about evenly spaced (SPACING / rms apart), so every top-k boundary has a clear margin;
the selected experts depend on the token's group, the weights on the whole context.
Everything else is random as in make_tiny_model.py (embeddings N(0,1), linears N(0, 1/in),
lm_head x5 with the <s>/</s> rows x0.25, norms 1 + 0.1 N(0,1)).
"""
import argparse
import copy
import json
import os

import torch

import safetensors_io
from make_tiny_model import GENERATION_CONFIG, HEAD_SCALE, SPECIAL_ROW_SCALE
from byte_tokenizer import write_tokenizer_json
from moe_ref import arch_of

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

GROUPS = 4          # token groups (id % GROUPS) = routing-channel dims
CHANNEL = 4.0       # embedding value in the token's channel dim
SPACING = 0.45      # router logit step between consecutive ranks, times w / rms(x)
ROUTER_NOISE = 0.02  # std multiplier of the random (context-dependent) router part
BIAS_STD = 0.5      # Qwen2-MoE q/k/v biases

COMMON = {"bos_token_id": 256, "eos_token_id": 257, "hidden_act": "silu", "hidden_size": 64,
          "initializer_range": 0.02, "max_position_embeddings": 512, "num_hidden_layers": 3,
          "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": 258}

# Keys as in the released models' config.json (Qwen1.5-MoE-A2.7B, Qwen3-30B-A3B,
# OLMoE-1B-7B-0924, deepseek-moe-16b-base), sorted as HF writes them; sizes made tiny.
FAMILIES = {
    "qwen2-moe": dict(COMMON, **{
        "architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe",
        "attention_dropout": 0.0, "decoder_sparse_step": 1, "intermediate_size": 96,
        "max_window_layers": 3, "mlp_only_layers": [1], "moe_intermediate_size": 32,
        "norm_topk_prob": False, "num_attention_heads": 4, "num_experts": 16,
        "num_experts_per_tok": 4, "num_key_value_heads": 2, "output_router_logits": False,
        "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001,
        "shared_expert_intermediate_size": 64, "sliding_window": 512,
        "transformers_version": "4.40.0", "use_sliding_window": False}),
    "qwen3-moe": dict(COMMON, **{
        "architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
        "attention_bias": False, "attention_dropout": 0.0, "decoder_sparse_step": 1, "head_dim": 32,
        "intermediate_size": 96, "max_window_layers": 3, "mlp_only_layers": [],
        "moe_intermediate_size": 16, "norm_topk_prob": True, "num_attention_heads": 4,
        "num_experts": 32, "num_experts_per_tok": 8, "num_key_value_heads": 2,
        "output_router_logits": False, "rms_norm_eps": 1e-06, "rope_scaling": None,
        "rope_theta": 1000000.0, "router_aux_loss_coef": 0.001, "sliding_window": None,
        "transformers_version": "4.51.0", "use_sliding_window": False}),
    "olmoe": dict(COMMON, **{
        "architectures": ["OlmoeForCausalLM"], "model_type": "olmoe",
        "attention_bias": False, "attention_dropout": 0.0, "clip_qkv": None, "intermediate_size": 16,
        "norm_topk_prob": False, "num_attention_heads": 4, "num_experts": 32,
        "num_experts_per_tok": 8, "num_key_value_heads": 2, "output_router_logits": False,
        "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 10000,
        "router_aux_loss_coef": 0.01, "transformers_version": "4.43.0"}),
    "deepseek-moe": dict(COMMON, **{
        "architectures": ["DeepseekForCausalLM"], "model_type": "deepseek",
        "attention_bias": False, "attention_dropout": 0.0,
        "auto_map": {"AutoConfig": "configuration_deepseek.DeepseekConfig",
                     "AutoModel": "modeling_deepseek.DeepseekModel",
                     "AutoModelForCausalLM": "modeling_deepseek.DeepseekForCausalLM"},
        "aux_loss_alpha": 0.001, "first_k_dense_replace": 1, "intermediate_size": 96,
        "moe_intermediate_size": 32, "moe_layer_freq": 1, "n_routed_experts": 16,
        "n_shared_experts": 2, "norm_topk_prob": False, "num_attention_heads": 4,
        "num_experts_per_tok": 4, "num_key_value_heads": 4, "pretraining_tp": 1,
        "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 10000,
        "scoring_func": "softmax", "seq_aux": True, "transformers_version": "4.36.0"}),
}
# Seeds found by `--sweep` (first seed from 0 whose golden.py margin checks all pass).
SEEDS = {"qwen2-moe": 3, "qwen3-moe": 3, "olmoe": 3, "deepseek-moe": 1}


def config(family):
    return dict(sorted(copy.deepcopy(FAMILIES[family]).items()))


def random_weights(cfg, seed):
    """{tensor name: float32 ndarray} in the family's HF naming, with the routing channel."""
    a = arch_of(cfg)
    g = torch.Generator().manual_seed(seed)
    D, V = a.hidden, cfg["vocab_size"]
    ch = slice(D - GROUPS, D)

    def lin(out_f, in_f, scale=1.0):   # nn.Linear layout [out, in]
        return torch.randn(out_f, in_f, generator=g) * (scale / in_f ** 0.5)

    def reads(out_f, scale=1.0):       # reads a normed hidden state, never the channel
        w = lin(out_f, D, scale)
        w[:, ch] = 0
        return w

    def writes(in_f):                  # writes the residual stream, never the channel
        w = lin(D, in_f)
        w[ch, :] = 0
        return w

    def norm(n=D):
        return 1.0 + 0.1 * torch.randn(n, generator=g)

    def swiglu(p, names, inter):
        w[p + names[0] + ".weight"] = reads(inter)
        w[p + names[1] + ".weight"] = reads(inter)
        w[p + names[2] + ".weight"] = writes(inter)

    def router():
        r = reads(a.experts, ROUTER_NOISE)
        for grp in range(GROUPS):
            r[:, D - GROUPS + grp] = torch.randperm(a.experts, generator=g).float() * (SPACING / CHANNEL)
        return r

    emb = torch.randn(V, D, generator=g)
    emb[:, ch] = 0
    emb[torch.arange(V), D - GROUPS + torch.arange(V) % GROUPS] = CHANNEL
    w = {"model.embed_tokens.weight": emb}
    q_out, kv_out = a.heads * a.head_dim, a.kv_heads * a.head_dim
    for i in range(a.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm()
        for name, out_f in (("q", q_out), ("k", kv_out), ("v", kv_out)):
            w[f"{p}self_attn.{name}_proj.weight"] = reads(out_f)
            if name in a.attn_bias:
                w[f"{p}self_attn.{name}_proj.bias"] = BIAS_STD * torch.randn(out_f, generator=g)
        w[p + "self_attn.o_proj.weight"] = writes(q_out)
        if a.qk_norm:
            full = a.qk_norm == "full"
            w[p + "self_attn.q_norm.weight"] = norm(q_out if full else a.head_dim)
            w[p + "self_attn.k_norm.weight"] = norm(kv_out if full else a.head_dim)
        w[p + "post_attention_layernorm.weight"] = norm()
        if i in a.moe_layers:
            m = a.moe_prefix(i)
            w[m + "gate.weight"] = router()
            for e in range(a.experts):
                swiglu(f"{m}experts.{e}.", a.expert_names(), a.expert_intermediate)
            if a.shared_intermediate:
                swiglu(a.shared_prefix(i), ("gate_proj", "up_proj", "down_proj"), a.shared_intermediate)
            if a.shared_gated:
                w[m + "shared_expert_gate.weight"] = reads(1)
        else:
            swiglu(p + "mlp.", ("gate_proj", "up_proj", "down_proj"), a.dense_intermediate)
    w["model.norm.weight"] = norm()
    head = reads(V, HEAD_SCALE)
    head[cfg["bos_token_id"]] *= SPECIAL_ROW_SCALE
    head[cfg["eos_token_id"]] *= SPECIAL_ROW_SCALE
    w["lm_head.weight"] = head
    return {k: v.numpy() for k, v in w.items()}


def bf16_rounded(weights):
    return {k: safetensors_io.from_bf16_bits(safetensors_io.to_bf16_bits(v)) for k, v in weights.items()}


def write_model(model_dir, cfg, weights, dtype):
    os.makedirs(model_dir, exist_ok=True)
    for name, obj in (("config.json", cfg), ("generation_config.json", GENERATION_CONFIG)):
        with open(os.path.join(model_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    write_tokenizer_json(os.path.join(model_dir, "tokenizer.json"))
    safetensors_io.write_file(os.path.join(model_dir, "model.safetensors"), weights, dtype)


def dirs(family):
    return (os.path.join(ROOT, "models", f"tiny-{family}"),
            os.path.join(ROOT, "moe-core", "src", "test", "resources", f"tiny-{family}-f32"))


def passes_margins(cfg, weights):
    """golden.py's margin checks (no cross-checks) on the BF16-rounded weights."""
    import golden
    from bpe_tokenizer import Tokenizer
    from moe_ref import MoeModel
    m = MoeModel(cfg, bf16_rounded(weights))
    tok = Tokenizer([])                 # no merges: the byte-level tokenizer.json written here
    ok = True
    for prompt in golden.PROMPTS:
        _, st = golden.make_case(m, tok, prompt)
        ok &= golden.passes(st)
        print(f"  {prompt!r:45} gate={st['gate_prompt']:.3g} order={st['order_prompt']:.3g} "
              f"gate(all)={st['gate_all']:.3g} greedy={st['greedy']:.3g} argmax={st['argmax_prompt']:.3g} "
              f"special={st['special_in_greedy']}")
        if not ok:
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("families", nargs="*", default=list(FAMILIES), help=f"of {list(FAMILIES)}")
    ap.add_argument("--seed", type=int, help="instead of the recorded SEEDS")
    ap.add_argument("--sweep", type=int, metavar="N",
                    help="try seeds from --seed (or 0) on, print the first one passing the margin checks")
    a = ap.parse_args()
    for family in a.families:
        cfg = config(family)
        if a.sweep:
            start = a.seed or 0
            for seed in range(start, start + a.sweep):
                print(f"{family} seed {seed}")
                if passes_margins(cfg, random_weights(cfg, seed)):
                    print(f"{family}: seed {seed} passes")
                    break
            continue
        seed = SEEDS[family] if a.seed is None else a.seed
        bf16_dir, f32_dir = dirs(family)
        write_model(bf16_dir, cfg, random_weights(cfg, seed), "BF16")
        stored, _ = safetensors_io.read(bf16_dir)   # F32 copy of the stored BF16 values: exact
        write_model(f32_dir, dict(cfg, torch_dtype="float32"), stored, "F32")
        print(f"{family}: seed {seed}, wrote {bf16_dir} "
              f"({os.path.getsize(os.path.join(bf16_dir, 'model.safetensors'))} bytes) and {f32_dir}")


if __name__ == "__main__":
    main()
