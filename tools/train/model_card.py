"""Render models/<name>/MODEL_CARD.md from the files the pipeline wrote: training_log.json,
eval.json, golden.json and the corpus manifest. Numbers are copied, never typed by hand."""
import argparse
import json
import os

LANG_NAMES = {"en": "English (fortunes)", "en-gcide": "English (Webster's 1913)", "de": "German", "es": "Spanish",
              "it": "Italian", "pl": "Polish", "ru": "Russian", "cs": "Czech", "sk": "Slovak", "pt": "Portuguese"}


# tokenizer_config.json's chat template is written by hand (the model is not chat-tuned); the
# gateway's ChatTemplate.DEFAULT_TEMPLATE is the same format and ChatTemplateTest compares them.
CHAT_TEMPLATE_SECTION = [
    "## Chat template", "",
    "The model was not trained for chat: it learned to continue fortune-cookie sayings and dictionary entries. "
    "`tokenizer_config.json` adds a plain-text chat template (written by hand, not learned) so that the gateway's "
    "OpenAI-compatible `/v1/chat/completions` endpoint can turn a conversation into a prompt; it is the gateway's "
    "documented default, used for models that ship no template. A system message becomes a first paragraph, each "
    "turn a `User:` or `Assistant:` line, and with `add_generation_prompt` the prompt ends in `Assistant:` for the "
    "model to continue. The special tokens (`<s>`, `</s>`) never appear in the rendered text. For example:", "",
    "```",
    "You answer in one line.",
    "",
    "User: What is a fortune cookie?",
    "Assistant: A crisp cookie with a paper fortune inside.",
    "User: Tell me one.",
    "Assistant:",
    "```", "",
    "Expect replies in the style of the corpus rather than answers, and a reply that goes on with a `User:` line of "
    "its own: a stop sequence of `\"\\nUser:\"` ends it there.", ""]


def top_pairs(matrix, n=5):
    e = len(matrix)
    pairs = sorted(((matrix[i][j], i, j) for i in range(e) for j in range(i + 1, e)), reverse=True)
    total = sum(matrix[i][j] for i in range(e) for j in range(i + 1, e)) or 1
    return ", ".join(f"{i}+{j} ({100 * c / total:.1f} %)" for c, i, j in pairs[:n])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model_dir")
    ap.add_argument("--notes", default="", help="extra paragraph for the training section (e.g. an interruption)")
    a = ap.parse_args()
    d = a.model_dir
    log = json.load(open(os.path.join(d, "training_log.json")))
    ev = json.load(open(os.path.join(d, "eval.json")))
    golden = json.load(open(os.path.join(d, "golden.json")))
    manifest = json.load(open(os.path.join(os.path.dirname(__file__), "data", "manifest.json")))
    h = log["hyperparameters"]
    o = ev["overall"]
    out = [f"# {log['model']}", "",
           "A small Mixtral-architecture Mixture-of-Experts language model, trained from scratch on a 2-core "
           "CPU from multilingual text that ships as Debian packages. It is moe-mesh's default model: small "
           "enough to serve as 16 expert processes on one machine, real enough that its experts specialise and "
           "its routing has structure for the placement controller to use. It is a small model of fortune "
           "cookies and dictionary entries: expect fluent-looking fragments, not facts.", "",
           "## Architecture", "",
           "| | |", "|---|---|",
           f"| architecture | `MixtralForCausalLM`, {h['layers']} layers, hidden {h['hidden']}, {h['heads']} query heads / "
           f"{h['kv_heads']} KV heads (GQA), RoPE |",
           f"| experts | {h['experts']} per layer, top-{h['top_k']} (Mixtral renormalisation), SwiGLU, intermediate "
           f"{h['intermediate']} |",
           f"| parameters | {log['parameters']:,} (BF16 `model.safetensors`, "
           f"{os.path.getsize(os.path.join(d, 'model.safetensors')) / 2**20:.1f} MiB) |",
           f"| tokenizer | byte-level BPE `tokenizer.json`, {log['corpus']['vocab_size']:,} ids (0–255 = bytes, `<s>` 256, "
           f"`</s>` 257 = EOS, then merges) learnt from the training documents; "
           f"{log['corpus']['train_bytes_per_token']:.2f} bytes per token on them; no BOS |",
           f"| context | {h['max_pos']} positions; trained on {h['seq']}-token windows |", "",
           "## Training", "",
           "Reproduce with `tools/train/reproduce.sh` (details and every step in "
           "[tools/train/README.md](../../tools/train/README.md)):", "",
           "```bash",
           f"/usr/bin/python3 tools/train/train.py --steps {h['steps']} --warmup {h['warmup']} --batch {h['batch']} "
           f"--seq {h['seq']} --ckpt-every {h['ckpt_every']} --export-every {h['export_every']}",
           "```", "",
           f"- Seed {log['seed']}; AdamW, peak LR {h['lr']}, {h['warmup']} warm-up steps, cosine to "
           f"{h['min_lr']:.0%} of peak; Switch load-balancing loss × {h['aux_alpha']}, router z-loss × {h['z_coef']}.",
           f"- Tokens seen: {log['tokens_seen']:,} of a {log['corpus']['train_tokens']:,}-token training stream; "
           f"wall time {log['wall_time_s'] / 60:.0f} min on {log['versions']['threads']} threads.",
           f"- Final training loss {log['final_train_loss']:.3f} (cross entropy {log['final_train_ce_nats_per_token']:.3f} "
           f"nats/token).",
           f"- Versions: Python {log['versions']['python']}, PyTorch {log['versions']['torch']}, NumPy "
           f"{log['versions']['numpy']}; {log['versions']['platform']}.",
           ]
    if a.notes:
        out += ["", a.notes]
    out += ["", "## Corpus and licences", "",
            "| package | version | licence |", "|---|---|---|"]
    for p, v in sorted(manifest["packages"].items()):
        out.append(f"| {p} | {v['version']} | {v['licence']} |")
    out += ["", f"5 % of each language's documents are held out (seeded); the evaluation below uses "
            f"{'all of them' if not ev.get('max_docs_per_lang') else 'a seeded subset of ' + str(ev['max_docs_per_lang']) + ' documents per language'}.",
            "", "## Held-out bits per byte", "",
            f"Evaluated by `tools/train/evaluate.py` through `tools/reference/mixtral_ref.py` on the exported BF16 "
            f"weights. {ev['bits_per_byte_definition']}.", "",
            (f"**Whole held-out set: {ev['bits_per_byte_stratified']:.3f} bits per byte** (estimate: "
             f"{ev['bits_per_byte_stratified_definition']}; all held-out bytes: "
             f"{sum(ev['heldout_bytes_per_language'].values()):,}). " if "bits_per_byte_stratified" in ev else "")
            + f"Scored documents together: {o['bits_per_byte']:.3f} bits per byte ({o['bits_per_byte_excl_eos']:.3f} "
            f"without the `</s>` terms; {o['docs']} documents, {o['bytes']:,} bytes, {o['tokens']:,} tokens). "
            f"Target in the issue: ≤ 2.3.", "",
            "| language | documents | bytes | bits/byte |", "|---|---:|---:|---:|"]
    for lang, s in sorted(ev["per_language"].items()):
        out.append(f"| {LANG_NAMES.get(lang, lang)} | {s['docs']} | {s['bytes']:,} | {s['bits_per_byte']:.3f} |")
    out += ["", "## Sample generations", "",
            f"Greedy and sampled (T = {ev['generations']['temperature']}, seed {ev['generations']['seed']}), "
            f"{ev['generations']['max_new_tokens']} tokens at most:", ""]
    for lang, g in ev["generations"].items():
        if isinstance(g, dict):
            out += [f"**{LANG_NAMES.get(lang, lang)}**", "", "```text",
                    f"[greedy]  {g['prompt']}{g['greedy'].rstrip()}",
                    f"[sampled] {g['prompt']}{g['sampled'].rstrip()}", "```", ""]
    out += ["", "## Expert usage per language", "",
            f"{ev['expert_usage_definition']}; the table shows, per layer, each language's three most used experts "
            "(share of its assignments). Uniform use would be 6.25 % per expert.", "",
            "| language | " + " | ".join(f"layer {l}" for l in range(h["layers"])) + " |",
            "|---|" + "---|" * h["layers"]]
    for lang, layers in sorted(ev["expert_usage"].items()):
        cells = []
        for shares in layers:
            top = sorted(range(len(shares)), key=lambda e: -shares[e])[:3]
            cells.append(", ".join(f"{e} ({100 * shares[e]:.0f} %)" for e in top))
        out.append(f"| {LANG_NAMES.get(lang, lang)} | " + " | ".join(cells) + " |")
    out += ["", "## Co-activated expert pairs", "",
            f"{ev['coactivation_definition']}. The most frequent pairs per layer (share of all held-out tokens) — "
            "the pairs the placement controller would co-locate:", ""]
    for l, m in enumerate(ev["coactivation"]):
        out.append(f"- layer {l}: {top_pairs(m)} — heatmap: [coactivation-layer{l}.png](coactivation-layer{l}.png)")
    out += ["", "## Golden vectors", "",
            f"`golden.json` holds {len(golden['cases'])} prompts (routing at every layer and token, top-20 logits at "
            "every position, a 32-token greedy continuation) computed by `tools/reference/golden.py`; the Java test "
            "`GoldenVectorTest` must reproduce them with both kernel implementations. `tokenizer_golden.json` holds "
            "texts in every language and their ids from `tools/reference/bpe_tokenizer.py`, the encoder the model was "
            "trained with; `HuggingFaceTextTokenizerTest` requires the Java tokenizer (DJL) to give the same ids.", ""]
    out += CHAT_TEMPLATE_SECTION
    with open(os.path.join(d, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    print("wrote", os.path.join(d, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
