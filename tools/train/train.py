"""Train mesh-mini-16e, a small Mixtral-architecture MoE LM (byte-level BPE), on CPU, reproducibly.

Architecture = HF MixtralForCausalLM (transformers/models/mixtral/modeling_mixtral.py), parameters
named and shaped as its tensors so export is a rename: RMSNorm, RoPE (rotate_half layout), GQA
attention, MixtralSparseMoeBlock (softmax router -> top-2 -> renormalise -> SwiGLU experts
w2(silu(w1 x) * w3 x)), untied lm_head. Expert weights are stored stacked ([E, out, in]) for speed
and split into experts.{e}.w1/w2/w3 on export.

Objective: next-token cross entropy + alpha * load-balancing loss (Switch Transformer, Fedus et
al. 2021, eq. 4: E * sum_i f_i P_i) + beta * router z-loss (ST-MoE, Zoph et al. 2022, eq. 5:
mean_tokens logsumexp(router_logits)^2), both averaged over layers. AdamW, linear warmup +
cosine decay (step based), global-norm gradient clipping. Batch b of step s is drawn from a
generator seeded with (seed, s), so a run is a pure function of (corpus, args) and a resumed
run replays the same batches.
"""
import argparse
import json
import math
import os
import platform
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import safetensors_io                                     # noqa: E402
from bpe_tokenizer import Tokenizer                        # noqa: E402

EOS, BOS = 257, 256


def model_config(a):
    return {
        "architectures": ["MixtralForCausalLM"], "model_type": "mixtral",
        "hidden_size": a.hidden, "intermediate_size": a.intermediate, "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads,
        "num_local_experts": a.experts, "num_experts_per_tok": a.top_k,
        "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "vocab_size": a.vocab,
        "max_position_embeddings": a.max_pos, "tie_word_embeddings": False,
        "bos_token_id": BOS, "eos_token_id": EOS, "hidden_act": "silu", "sliding_window": None,
        "router_aux_loss_coef": a.aux_alpha, "torch_dtype": "bfloat16",
    }


class MoELM(torch.nn.Module):
    def __init__(self, cfg, seed):
        super().__init__()
        self.cfg = cfg
        D, I, V, E, L = (cfg[k] for k in ("hidden_size", "intermediate_size", "vocab_size",
                                          "num_local_experts", "num_hidden_layers"))
        self.H, self.KV, self.k, self.E = (cfg["num_attention_heads"], cfg["num_key_value_heads"],
                                           cfg["num_experts_per_tok"], E)
        self.hd = D // self.H
        g = torch.Generator().manual_seed(seed)
        std, out_std = 0.02, 0.02 / math.sqrt(2 * L)   # GPT-2 style: residual outputs scaled down

        def p(*shape, s=std):
            return torch.nn.Parameter(torch.randn(*shape, generator=g) * s)

        def ones():
            return torch.nn.Parameter(torch.ones(D))

        self.embed = p(V, D)
        self.layers = torch.nn.ModuleList()
        for _ in range(L):
            m = torch.nn.Module()
            m.ln1, m.ln2 = ones(), ones()
            m.q, m.k, m.v = p(D, D), p(self.KV * self.hd, D), p(self.KV * self.hd, D)
            m.o = p(D, D, s=out_std)
            m.gate = p(E, D)
            m.w1, m.w3, m.w2 = p(E, I, D), p(E, I, D), p(E, D, I, s=out_std)
            self.layers.append(m)
        self.norm, self.head = ones(), p(V, D)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["rms_norm_eps"]) * w

    def rope_tables(self, T):
        # MixtralRotaryEmbedding: inv_freq = theta^(-2i/d); cos/sin duplicated to full head_dim
        inv = 1.0 / (self.cfg["rope_theta"] ** (torch.arange(0, self.hd, 2).float() / self.hd))
        ang = torch.arange(T).float()[:, None] * inv[None]
        ang = torch.cat([ang, ang], -1)
        return ang.cos(), ang.sin()

    @staticmethod
    def rotate(x, cos, sin):
        x1, x2 = x.chunk(2, -1)                                    # rotate_half(x) = [-x2, x1]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def attention(self, x, m, cos, sin, mask):
        B, T, D = x.shape
        q = F.linear(x, m.q).view(B, T, self.H, self.hd).transpose(1, 2)
        k = F.linear(x, m.k).view(B, T, self.KV, self.hd).transpose(1, 2)
        v = F.linear(x, m.v).view(B, T, self.KV, self.hd).transpose(1, 2)
        q, k = self.rotate(q, cos, sin), self.rotate(k, cos, sin)
        rep = self.H // self.KV                                    # repeat_kv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        a = torch.softmax(s, -1) @ v
        return F.linear(a.transpose(1, 2).reshape(B, T, D), m.o)

    def moe(self, h, m):
        """Sparse top-k MoE: sort the N*k (token, expert) assignments by expert, gather each
        expert's tokens once, run its SwiGLU on just those, index_add the weighted outputs."""
        N = h.shape[0]
        logits = F.linear(h, m.gate)                               # [N, E]
        probs = torch.softmax(logits, -1)
        top_w, top_e = torch.topk(probs, self.k, -1)
        top_w = top_w / top_w.sum(-1, keepdim=True)                # Mixtral renormalisation
        flat_e = top_e.reshape(-1)
        order = torch.argsort(flat_e, stable=True)
        counts = torch.bincount(flat_e, minlength=self.E)
        tok = order // self.k
        xs = h[tok]
        # unbind (not m.w1[e]): its backward stacks all expert grads in one op, whereas 16
        # separate index backwards would each materialise and add a full [E, I, D] zero tensor
        w1, w3, w2 = m.w1.unbind(0), m.w3.unbind(0), m.w2.unbind(0)
        outs = []
        for e, part in enumerate(torch.split(xs, counts.tolist())):
            if part.shape[0]:
                outs.append(F.linear(F.silu(F.linear(part, w1[e])) * F.linear(part, w3[e]), w2[e]))
        y = torch.cat(outs) * top_w.reshape(-1)[order, None]
        out = torch.zeros_like(h).index_add_(0, tok, y)
        f = counts.float() / (N * self.k)                          # fraction of assignments
        lb = self.E * (f * probs.mean(0)).sum()                    # Switch eq. 4 (1.0 when uniform)
        z = torch.logsumexp(logits, -1).pow(2).mean()              # ST-MoE eq. 5
        return out, lb, z, counts

    def forward(self, ids):
        B, T = ids.shape
        cos, sin = self.rope_tables(T)
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embed[ids]
        lbs, zs, counts = [], [], []
        for m in self.layers:
            x = x + self.attention(self.rms(x, m.ln1), m, cos, sin, mask)
            out, lb, z, c = self.moe(self.rms(x, m.ln2).reshape(B * T, -1), m)
            x = x + out.view(B, T, -1)
            lbs.append(lb)
            zs.append(z)
            counts.append(c)
        logits = F.linear(self.rms(x, self.norm), self.head)
        return logits, torch.stack(lbs).mean(), torch.stack(zs).mean(), torch.stack(counts)

    def hf_tensors(self):
        """HF MixtralForCausalLM names, nn.Linear [out, in] layout, same order as tiny-random."""
        w = {"model.embed_tokens.weight": self.embed}
        for i, m in enumerate(self.layers):
            p = f"model.layers.{i}."
            w[p + "input_layernorm.weight"] = m.ln1
            for n in "qkvo":
                w[p + f"self_attn.{n}_proj.weight"] = getattr(m, n)
            w[p + "post_attention_layernorm.weight"] = m.ln2
            w[p + "block_sparse_moe.gate.weight"] = m.gate
            for e in range(self.E):
                q = f"{p}block_sparse_moe.experts.{e}."
                w[q + "w1.weight"], w[q + "w2.weight"], w[q + "w3.weight"] = m.w1[e], m.w2[e], m.w3[e]
        w["model.norm.weight"], w["lm_head.weight"] = self.norm, self.head
        return {k: v.detach().float().numpy().copy() for k, v in w.items()}


def batch(stream, starts, seed, step, B, T):
    """Rows of T+1 tokens. Half start at a document start (half of those on the </s> before it,
    so both 'raw prompt at position 0' as the Java engine feeds it and '</s> then text' are seen),
    half at a uniform offset (covers the tails of documents longer than T)."""
    rng = np.random.default_rng([seed, step])
    rows = []
    for _ in range(B):
        if rng.random() < 0.5:
            s = int(starts[rng.integers(len(starts))]) - int(rng.random() < 0.5)
        else:
            s = int(rng.integers(len(stream)))
        s = min(max(s, 0), len(stream) - T - 1)
        rows.append(stream[s:s + T + 1])
    t = torch.from_numpy(np.stack(rows).astype(np.int64))
    return t[:, :-1], t[:, 1:]


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    t = (step - a.warmup) / max(1, a.steps - a.warmup)
    return a.lr * (a.min_lr + (1 - a.min_lr) * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


def export(model, cfg, out_dir, data_dir, extra_log=None):
    os.makedirs(out_dir, exist_ok=True)
    for name, obj in (("config.json", cfg),
                      ("generation_config.json", {"bos_token_id": BOS, "eos_token_id": EOS,
                                                  "max_new_tokens": 256})):
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    shutil.copyfile(os.path.join(data_dir, "tokenizer.json"), os.path.join(out_dir, "tokenizer.json"))
    tmp = os.path.join(out_dir, "model.safetensors.tmp")
    safetensors_io.write_file(tmp, model.hf_tensors(), "BF16")
    os.replace(tmp, os.path.join(out_dir, "model.safetensors"))
    if extra_log is not None:
        with open(os.path.join(out_dir, "training_log.json"), "w") as f:
            json.dump(extra_log, f, indent=2)
            f.write("\n")


@torch.no_grad()
def heldout_loss(model, data_dir, T, tok, n=16):
    """Quick fixed-batch validation CE (nats/token) on the first held-out documents."""
    toks = []
    for line in open(os.path.join(data_dir, "heldout.jsonl"), encoding="utf-8"):
        toks += tok.encode(json.loads(line)["text"]) + [EOS]
        if len(toks) > n * (T + 1):
            break
    t = torch.tensor(toks[: n * (T + 1)]).view(n, T + 1)
    logits = model(t[:, :-1])[0]
    return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), t[:, 1:].reshape(-1)))


# glibc returns freed blocks above its mmap threshold to the OS, so every step re-faults the
# pages of its multi-MB activation/gradient tensors (measured: ~600 -> ~1000+ tokens/s on 2 cores
# with these settings). They only take effect at process start, hence the re-exec in main().
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "17179869184",
              "MALLOC_TOP_PAD_": "536870912"}


def main():
    if any(os.environ.get(k) != v for k, v in MALLOC_ENV.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **MALLOC_ENV})
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--run-dir", default=os.path.join(HERE, "runs", "mesh-mini-16e"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "mesh-mini-16e"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=0.1, help="final LR as a fraction of --lr")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--aux-alpha", type=float, default=0.01)
    ap.add_argument("--z-coef", type=float, default=1e-3)
    ap.add_argument("--hidden", type=int, default=192)
    ap.add_argument("--intermediate", type=int, default=384)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--experts", type=int, default=16)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--max-pos", type=int, default=512)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--export-every", type=int, default=0, help="also export BF16 snapshots to run-dir")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.run_dir, exist_ok=True)
    tok = Tokenizer.load(os.path.join(a.data, "tokenizer.json"))
    a.vocab = tok.vocab_size
    cfg = model_config(a)
    stream = np.fromfile(os.path.join(a.data, "train.u16"), dtype=np.uint16)
    starts = np.fromfile(os.path.join(a.data, "train_docs.u32"), dtype=np.uint32)
    model = MoELM(cfg, a.seed)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    ckpt_path = os.path.join(a.run_dir, "ckpt.pt")
    step, history, tokens, wall = 0, [], 0, 0.0
    if a.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, history, tokens, wall = ck["step"], ck["history"], ck["tokens"], ck["wall"]
        print(f"resumed at step {step}", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    log = open(os.path.join(a.run_dir, "train.log"), "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    say(f"params {n_params:,}  steps {a.steps}  batch {a.batch}x{a.seq}  corpus {len(stream):,} tokens  "
        f"args {json.dumps(vars(a))}")
    acc = {"loss": 0.0, "ce": 0.0, "lb": 0.0, "z": 0.0, "n": 0}
    counts_acc = torch.zeros(a.layers, a.experts)
    t_win, t0 = time.time(), time.time() - wall
    while step < a.steps:
        x, y = batch(stream, starts, a.seed, step, a.batch, a.seq)
        lr = lr_at(step, a)
        for gr in opt.param_groups:
            gr["lr"] = lr
        logits, lb, z, counts = model(x)
        ce = F.cross_entropy(logits.reshape(-1, a.vocab), y.reshape(-1))
        loss = ce + a.aux_alpha * lb + a.z_coef * z
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip))
        opt.step()
        step += 1
        tokens += x.numel()
        for k, v in (("loss", loss), ("ce", ce), ("lb", lb), ("z", z)):
            acc[k] += float(v)
        acc["n"] += 1
        counts_acc += counts.float()
        if step % a.log_every == 0 or step == a.steps:
            now = time.time()
            n = acc["n"]
            load = counts_acc / counts_acc.sum(1, keepdim=True)
            rec = {"step": step, "lr": lr, "loss": acc["loss"] / n, "ce": acc["ce"] / n,
                   "bits_per_token": acc["ce"] / n / math.log(2), "aux_lb": acc["lb"] / n, "z": acc["z"] / n,
                   "grad_norm": gnorm, "max_expert_load": float(load.max()),
                   "tokens_per_s": n * x.numel() / (now - t_win), "elapsed_s": now - t0, "tokens": tokens}
            if step % (a.log_every * 10) == 0 or step == a.steps:
                rec["heldout_ce"] = heldout_loss(model, a.data, a.seq, tok)
            history.append(rec)
            say(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()))
            acc = {k: 0.0 if k != "n" else 0 for k in acc}
            counts_acc.zero_()
            t_win = time.time()
        if step % a.ckpt_every == 0 or step == a.steps:
            wall = time.time() - t0
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "history": history, "tokens": tokens, "wall": wall, "args": vars(a)},
                       ckpt_path + ".tmp")
            os.replace(ckpt_path + ".tmp", ckpt_path)
            if a.export_every and step % a.export_every == 0:
                export(model, cfg, os.path.join(a.run_dir, f"export-step{step}"), a.data)
            t_win += time.time() - wall - t0         # do not count checkpoint I/O as training time

    wall = time.time() - t0
    manifest = json.load(open(os.path.join(a.data, "manifest.json")))
    last = history[-1] if history else {}
    export(model, cfg, a.out, a.data, {
        "model": os.path.basename(a.out.rstrip("/")), "seed": a.seed, "steps": a.steps,
        "hyperparameters": {k: v for k, v in vars(a).items() if k not in ("data", "run_dir", "out", "resume")},
        "parameters": n_params, "tokens_seen": tokens, "wall_time_s": round(wall, 1),
        "final_train_loss": last.get("loss"), "final_train_ce_nats_per_token": last.get("ce"),
        "final_heldout_ce_nats_per_token": last.get("heldout_ce"),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__, "platform": platform.platform(),
                     "threads": torch.get_num_threads()},
        "corpus": {"train_tokens": manifest["train_tokens"], "vocab_size": manifest["vocab_size"],
                   "train_bytes_per_token": manifest["train_bytes_per_token"], "sha256": manifest["sha256"],
                   "packages": {p: v["version"] for p, v in manifest["packages"].items()}},
        "history": history,
    })
    say(f"done: {step} steps, {tokens:,} tokens, {wall:.0f}s; exported to {a.out}")
    log.close()
    shutil.copyfile(os.path.join(a.run_dir, "train.log"), os.path.join(a.out, "train.log"))


if __name__ == "__main__":
    main()
