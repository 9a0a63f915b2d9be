"""Write tokenizer_golden.json: texts and the ids tools/reference/bpe_tokenizer.py gives them.

The Java engine encodes prompts with DJL (the Rust `tokenizers` crate) reading the same
tokenizer.json; HuggingFaceTextTokenizerTest encodes every text here and requires these exact
ids, and that decoding them gives the text back. Cases: a seeded sample of held-out documents
per language, plus edge cases for the GPT-2 split pattern (contractions, digit runs, whitespace
runs before words, tabs and newlines, punctuation clusters, scripts the corpus lacks, emoji).

  python3 tools/reference/tokenizer_golden.py models/mesh-mini-16e --heldout tools/train/data/heldout.jsonl
"""
import argparse
import json
import os

import numpy as np

from bpe_tokenizer import Tokenizer

EDGE = [
    "", " ", "  ", "\n", "\n\n\n", "\t\tindented", "a  b   c", "trailing   ",
    "It's what you'll do, we've said, they'd've", "I'M SHOUTING'S",
    "1234567890 3.14159 1,000,000 2026-11-28", "x=1; y==2 && z!=3 -> {ok}",
    "¿Qué? ¡Sí! «Ёлки-палки» — „Zitat“ ‚ja‘ …", "Żółć gęślą jaźń; Příliš žluťoučký kůň",
    "日本語のテキスト、中文，한국어", "emoji 🙂👍🏽 and ZWJ 👩‍💻", "Ελληνικά και עברית ومرحبا",
    "combining e\u0301 vs \u00e9", "\u00a0non-breaking\u2009thin\u3000ideographic",
    "Apple \\Ap\"ple\\, n. [OE. appel, AS. \u00e6ppel]",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--per-lang", type=int, default=25)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    tok = Tokenizer.load(os.path.join(a.model_dir, "tokenizer.json"))
    by_lang = {}
    for line in open(a.heldout, encoding="utf-8"):
        d = json.loads(line)
        by_lang.setdefault(d["lang"] + ("-gcide" if d["src"] == "dict-gcide" else ""), []).append(d["text"])
    rng = np.random.default_rng(a.seed)
    texts = list(EDGE)
    for k in sorted(by_lang):
        g = by_lang[k]
        texts += [g[i] for i in sorted(rng.permutation(len(g))[:a.per_lang])]
    cases = []
    for t in texts:
        ids = tok.encode(t)
        if tok.decode(ids) != t:
            raise SystemExit(f"round trip failed for {t!r}")
        cases.append({"text": t, "ids": ids})
    out = os.path.join(a.model_dir, "tokenizer_golden.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"vocab_size": tok.vocab_size, "cases": cases}, f, ensure_ascii=False)
        f.write("\n")
    n_ids = sum(len(c["ids"]) for c in cases)
    n_bytes = sum(len(c["text"].encode("utf-8")) for c in cases)
    print(f"wrote {out}: {len(cases)} texts, {n_ids} ids, {n_bytes / max(n_ids, 1):.2f} bytes per id")


if __name__ == "__main__":
    main()
