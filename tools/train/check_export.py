"""Check that the training module and the exported checkpoint agree: export a (randomly
initialised or checkpointed) MoELM to BF16, reload it through tools/reference/mixtral_ref.py and
compare logits with the training forward pass run on the same BF16-rounded weights."""
import argparse
import os
import sys
import tempfile

import torch

import train
sys.path.insert(0, os.path.join(train.ROOT, "tools", "reference"))
from mixtral_ref import Mixtral  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt", help="runs/<name>/ckpt.pt (default: random init)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt) if a.ckpt else None
    args = train.argparse.Namespace(**ck["args"]) if ck else train.argparse.Namespace(
        hidden=192, intermediate=384, layers=4, heads=6, kv_heads=2, experts=16, top_k=2, max_pos=512,
        aux_alpha=0.01)
    cfg = train.model_config(args)
    model = train.MoELM(cfg, 1)
    if ck:
        model.load_state_dict(ck["model"])
    with torch.no_grad():                      # round to BF16 so both sides use identical weights
        for p in model.parameters():
            p.copy_(p.bfloat16().float())
    ids = list("Hello, world! Grüß Gott. Привет.".encode("utf-8"))
    with tempfile.TemporaryDirectory() as d:
        train.export(model, cfg, d)
        ref = Mixtral.load(d)
        r = ref.forward(ids)
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0][0]
    diff = float((logits - r["logits"]).abs().max())
    print(f"max |logit diff| train-module vs reference = {diff:.3g}")
    assert diff < 1e-3, diff


if __name__ == "__main__":
    main()
