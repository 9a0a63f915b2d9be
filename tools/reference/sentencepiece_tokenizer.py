"""A small SentencePiece-style tokenizer.json in the layout of Mixtral's (and Llama 2's, Mistral's).

The real Mixtral vocabulary (32k pieces) cannot be downloaded here. This trains a small BPE
vocabulary over SentencePiece's pieces (a space is U+2581 "▁" and starts a word) on the golden
texts of the shipped tokenizer and the multilingual prompts, and writes it in Mixtral-8x7B's
tokenizer.json layout:

  normalizer      Sequence[Prepend "▁", Replace " " -> "▁"]
  pre_tokenizer   null (BPE runs over the whole normalised text)
  model           BPE, byte_fallback true, fuse_unk true, unk "<unk>"; ids 0-2 <unk> <s> </s>,
                  3-258 the byte tokens <0x00>..<0xFF>, then merged pieces, then single characters
  post_processor  TemplateProcessing: <s> first
  decoder         Sequence[Replace "▁" -> " ", ByteFallback, Fuse, Strip 1 leading " "]

Characters seen fewer than MIN_CHAR_COUNT times (and every control character, "\\n" included)
are left out of the vocabulary, so they encode as byte tokens, as rare characters do in Mixtral.
The decoder is what TextStream's tests need: it strips the space that starts the text (so a
suffix of the ids does not decode on its own as it does in context) and turns byte tokens into
text only as a group (an invalid group becomes one U+FFFD per byte).

  /usr/bin/python3 tools/reference/sentencepiece_tokenizer.py   # writes moe-core/src/test/resources/tokenizers/mixtral/
"""
import json
import os
import re
from collections import Counter

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.normpath(os.path.join(ROOT, "moe-core", "src", "test", "resources", "tokenizers", "mixtral"))
SPACE = "\u2581"
MERGES = 700
MIN_CHAR_COUNT = 3


def corpus():
    golden = json.load(open(os.path.join(ROOT, "models", "mesh-mini-16e", "tokenizer_golden.json")))
    texts = [c["text"] for c in golden["cases"]]
    texts += json.load(open(os.path.join(ROOT, "tools", "reference", "prompts-multilingual.json")))
    return texts


def words(text):
    """The normalised text cut before each ▁, as SentencePiece trains: a piece never holds a ▁ inside."""
    return re.findall(SPACE + "+[^" + SPACE + "]*|[^" + SPACE + "]+", SPACE + text.replace(" ", SPACE))


def train(texts):
    counts = Counter(w for t in texts for w in words(t))
    chars = Counter()
    for w, n in counts.items():
        for ch in w:
            chars[ch] += n
    alphabet = sorted(ch for ch, n in chars.items() if n >= MIN_CHAR_COUNT and ch.isprintable() or ch == SPACE)
    split = {w: [ch if ch in alphabet else None for ch in w] for w in counts}
    merges = []
    for _ in range(MERGES):
        pairs = Counter()
        for w, symbols in split.items():
            for a, b in zip(symbols, symbols[1:]):
                if a is not None and b is not None:
                    pairs[(a, b)] += counts[w]
        if not pairs:
            break
        (a, b), n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < 2:
            break
        merges.append((a, b))
        for w, symbols in split.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            split[w] = out
    return alphabet, merges


def tokenizer_json(alphabet, merges):
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    for ch in alphabet:
        vocab.setdefault(ch, len(vocab))
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])]
    bos = {"SpecialToken": {"id": "<s>", "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPACE},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, bos, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SPACE}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }


def main():
    alphabet, merges = train(corpus())
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(alphabet, merges), f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(alphabet)} characters, {len(merges)} merges -> {OUT}")


if __name__ == "__main__":
    main()
