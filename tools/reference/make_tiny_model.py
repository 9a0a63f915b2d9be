"""Create the tiny random Mixtral (models/tiny-random, BF16, one file) and its F16,
2-shard copy (moe-core/src/test/resources/tiny-mixtral-f16-sharded).

Init scales are deliberately large (not HF's 0.02) so that router top-k choices and
greedy argmaxes are decided by clear margins, i.e. robust to float32 summation-order
noise in another engine; golden.py measures and enforces those margins.
"""
import argparse
import json
import os

import torch

import safetensors_io
from byte_tokenizer import write_tokenizer_json

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BF16_DIR = os.path.join(ROOT, "models", "tiny-random")
F16_DIR = os.path.join(ROOT, "moe-core", "src", "test", "resources", "tiny-mixtral-f16-sharded")

CONFIG = {
    "architectures": ["MixtralForCausalLM"],
    "model_type": "mixtral",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "rms_norm_eps": 1e-05,
    "rope_theta": 10000.0,
    "vocab_size": 258,
    "max_position_embeddings": 512,
    "tie_word_embeddings": False,
    "bos_token_id": 256,
    "eos_token_id": 257,
    "torch_dtype": "bfloat16",
}
GENERATION_CONFIG = {"bos_token_id": 256, "eos_token_id": 257, "max_new_tokens": 32}

# Std multipliers on N(0, 1/in_features) (which keeps activation RMS ~1 per linear).
GATE_SCALE = 1.5    # router logits std ~1.5: larger makes p2, p3 both tiny, smaller flattens
HEAD_SCALE = 5.0    # vocab logits std ~5 -> clear greedy argmax
SPECIAL_ROW_SCALE = 0.25  # lm_head rows of <s>/</s>: keep them out of greedy text


def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    D, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = D // cfg["num_attention_heads"]
    kvd = cfg["num_key_value_heads"] * hd

    def lin(out_f, in_f, scale=1.0):   # nn.Linear layout [out, in]
        return torch.randn(out_f, in_f, generator=g) * (scale / in_f ** 0.5)

    def norm():
        return 1.0 + 0.1 * torch.randn(D, generator=g)

    w = {"model.embed_tokens.weight": torch.randn(V, D, generator=g)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm()
        w[p + "self_attn.q_proj.weight"] = lin(D, D)
        w[p + "self_attn.k_proj.weight"] = lin(kvd, D)
        w[p + "self_attn.v_proj.weight"] = lin(kvd, D)
        w[p + "self_attn.o_proj.weight"] = lin(D, D)
        w[p + "post_attention_layernorm.weight"] = norm()
        w[p + "block_sparse_moe.gate.weight"] = lin(cfg["num_local_experts"], D, GATE_SCALE)
        for e in range(cfg["num_local_experts"]):
            q = f"{p}block_sparse_moe.experts.{e}."
            w[q + "w1.weight"] = lin(I, D)
            w[q + "w2.weight"] = lin(D, I)
            w[q + "w3.weight"] = lin(I, D)
    w["model.norm.weight"] = norm()
    head = lin(V, D, HEAD_SCALE)
    head[cfg["bos_token_id"]] *= SPECIAL_ROW_SCALE
    head[cfg["eos_token_id"]] *= SPECIAL_ROW_SCALE
    w["lm_head.weight"] = head
    return {k: v.numpy() for k, v in w.items()}


def write_common(model_dir, cfg):
    os.makedirs(model_dir, exist_ok=True)
    for name, obj in (("config.json", cfg), ("generation_config.json", GENERATION_CONFIG)):
        with open(os.path.join(model_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    write_tokenizer_json(os.path.join(model_dir, "tokenizer.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    # 48: first seed of a sweep (GATE/HEAD_SCALE as above) passing all golden.py margin
    # checks; with iid random gates a clear p_k - p_(k+1) margin at every token is rare.
    ap.add_argument("--seed", type=int, default=48)
    ap.add_argument("--bf16-dir", default=BF16_DIR)
    ap.add_argument("--f16-dir", default=F16_DIR)
    a = ap.parse_args()

    write_common(a.bf16_dir, CONFIG)
    safetensors_io.write_file(os.path.join(a.bf16_dir, "model.safetensors"),
                              random_weights(CONFIG, a.seed), "BF16")

    # F16 copy of the *stored BF16 values*: BF16's 8-bit mantissa fits F16's 11 bits, so
    # this is exact except for values below F16's normal range (~6e-5), which lose bits.
    bf16, _ = safetensors_io.read(a.bf16_dir)
    write_common(a.f16_dir, dict(CONFIG, torch_dtype="float16"))
    for old in os.listdir(a.f16_dir):
        if old.endswith(".safetensors"):
            os.remove(os.path.join(a.f16_dir, old))
    safetensors_io.write_sharded(a.f16_dir, bf16, "F16", 2)
    f16, _ = safetensors_io.read(a.f16_dir)
    changed = sum(int((bf16[k] != f16[k]).sum()) for k in bf16)
    print(f"wrote {a.bf16_dir} and {a.f16_dir}; {changed} of "
          f"{sum(v.size for v in bf16.values())} values changed by BF16->F16")


if __name__ == "__main__":
    main()
