"""Write a random Mixtral-architecture model whose MoE layer has the shape of Mixtral-8x7B
(hidden 4096, intermediate 14336, 8 experts, top-2, 32 heads / 8 KV heads), one decoder layer
and a byte vocabulary, for MoeLayerHarness and expert-service benchmarks (docs/performance.md,
"Mixtral-8x7B-shaped layer").

The expert weights dominate the file (8 x 3 x 4096 x 14336 BF16 = 2.6 GiB of 2.7 GiB); the
dense tensors are written too (attention is 80 MiB) so that DenseWeights, the router and
`moe up` load the directory unchanged. Weights are N(0, std^2) (HF's Mixtral init, std 0.02),
norms are ones. With unit-variance hidden states that gives router logits of std ~1.3 and expert
outputs of std ~2, finite and far from BF16's range limits.

Memory stays bounded: tensors are generated and written a chunk of rows at a time (see
safetensors_io.write_file_streaming), never the whole model as float32. Each tensor has its own
generator seeded from (seed, tensor name), so values do not depend on chunk size or on which
other tensors are written. Deterministic: same flags, same bytes.

    /usr/bin/python3 tools/reference/make_moe_layer.py                      # full size, ~2.8 GB
    /usr/bin/python3 tools/reference/make_moe_layer.py --hidden 256 --intermediate 512 \\
        --heads 8 --kv-heads 2 --out bench/target/moe-layer-small            # smoke shape
"""
import argparse
import json
import os
import time
import zlib

import numpy as np

import safetensors_io
from byte_tokenizer import write_tokenizer_json

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "bench", "target", "mixtral-layer")  # target/ is ignored by git
CHUNK_ELEMENTS = 1 << 22  # 16 MiB of float32 per generated chunk
BYTE_VOCAB = 258          # byte_tokenizer: ids 0..255 are bytes, <s> = 256, </s> = 257


def config(a):
    """HF MixtralConfig fields (Mixtral-8x7B-v0.1's values where the flags leave them)."""
    return {
        "architectures": ["MixtralForCausalLM"],
        "model_type": "mixtral",
        "hidden_size": a.hidden,
        "intermediate_size": a.intermediate,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "num_local_experts": a.experts,
        "num_experts_per_tok": a.top_k,
        "rms_norm_eps": 1e-05,
        "rope_theta": 1e6,
        "vocab_size": BYTE_VOCAB,
        "max_position_embeddings": 32768,
        "tie_word_embeddings": False,
        "bos_token_id": 256,
        "eos_token_id": 257,
        "torch_dtype": "bfloat16",
    }


def tensor_shapes(cfg):
    """(name, shape) in HF MixtralForCausalLM order; linears are [out_features, in_features]."""
    d, i, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    head_dim = d // cfg["num_attention_heads"]
    q, kv = cfg["num_attention_heads"] * head_dim, cfg["num_key_value_heads"] * head_dim
    shapes = [("model.embed_tokens.weight", (v, d))]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        shapes += [(p + "input_layernorm.weight", (d,)),
                   (p + "self_attn.q_proj.weight", (q, d)),
                   (p + "self_attn.k_proj.weight", (kv, d)),
                   (p + "self_attn.v_proj.weight", (kv, d)),
                   (p + "self_attn.o_proj.weight", (d, q)),
                   (p + "post_attention_layernorm.weight", (d,)),
                   (p + "block_sparse_moe.gate.weight", (cfg["num_local_experts"], d))]
        for e in range(cfg["num_local_experts"]):
            x = f"{p}block_sparse_moe.experts.{e}."
            shapes += [(x + "w1.weight", (i, d)), (x + "w2.weight", (d, i)), (x + "w3.weight", (i, d))]
    shapes += [("model.norm.weight", (d,)), ("lm_head.weight", (v, d))]
    return shapes


def chunks(name, shape, seed, std):
    """A callable yielding the tensor as float32 chunks of whole rows: ones for norms, else N(0, std^2)."""
    def generate():
        if len(shape) == 1:
            yield np.ones(shape, dtype=np.float32)
            return
        rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
        rows, cols = shape
        step = max(1, CHUNK_ELEMENTS // cols)
        for start in range(0, rows, step):
            n = min(step, rows - start)
            yield rng.standard_normal((n, cols), dtype=np.float32) * np.float32(std)
    return generate


def write_model(out, cfg, seed, std):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    # Only the router (and so `moe up`) needs a tokenizer; MoeLayerHarness and expert-service do not.
    write_tokenizer_json(os.path.join(out, "tokenizer.json"))
    entries = [(name, shape, chunks(name, shape, seed, std)) for name, shape in tensor_shapes(cfg)]
    return safetensors_io.write_file_streaming(os.path.join(out, "model.safetensors"), entries, "BF16")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="model directory to write (default: %(default)s)")
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--intermediate", type=int, default=14336)
    ap.add_argument("--experts", type=int, default=8)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--std", type=float, default=0.02, help="std of every linear's weights (default: %(default)s)")
    a = ap.parse_args(argv)
    if a.hidden % a.heads or a.heads % a.kv_heads or (a.hidden // a.heads) % 2:
        ap.error("hidden must split into heads of even size, and heads must be a multiple of kv-heads")
    if not 1 <= a.top_k <= a.experts:
        ap.error("top-k must be between 1 and experts")
    return a


def main(argv=None):
    a = parse_args(argv)
    start = time.monotonic()
    size = write_model(a.out, config(a), a.seed, a.std)
    print(f"wrote {a.out}: {size / 2**30:.2f} GiB of BF16 weights in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
