"""Byte-level tokenizer: token id == byte value (0..255), plus specials after them.

write_tokenizer_json() emits a Hugging Face tokenizer.json (loadable by the Rust
`tokenizers` crate, hence DJL) whose BPE model has one vocab entry per byte and no
merges. Its ByteLevel pre-tokenizer maps every byte b to bytes_to_unicode()[b]; the
regex split does not matter because, with no merges, every character stays a token
of its own. So tokenizer.json encodes any text to exactly list(text.encode("utf-8"))
(no prefix space, no BOS: post_processor is null) -- which is what encode() returns.
"""
import json

BOS, EOS = "<s>", "</s>"


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode char map (as in HF ByteLevel)."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def encode(text):
    """Equals tokenizer.json encoding with add_special_tokens on or off (see module doc)."""
    return list(text.encode("utf-8"))


def decode(ids, specials=(BOS, EOS)):
    """ByteLevel decoder semantics: concatenate bytes, lossy UTF-8 (errors='replace').
    Special ids (256+) are rendered by their content; callers normally avoid them."""
    out, buf = [], bytearray()
    for i in ids:
        if i < 256:
            buf.append(i)
        else:
            out.append(buf.decode("utf-8", errors="replace"))
            out.append(specials[i - 256])
            buf = bytearray()
    out.append(buf.decode("utf-8", errors="replace"))
    return "".join(out)


def tokenizer_json(specials=(BOS, EOS)):
    """The tokenizer.json dict; specials get ids 256, 257, ... in the given order."""
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    added = []
    for i, tok in enumerate(specials):
        vocab[tok] = 256 + i
        added.append({"id": 256 + i, "content": tok, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    }


def write_tokenizer_json(path, specials=(BOS, EOS)):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(specials), f, ensure_ascii=False, indent=2)
        f.write("\n")
