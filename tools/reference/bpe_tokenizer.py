"""Byte-level BPE: training, and an encoder/decoder that equals Hugging Face `tokenizers`.

Ids 0..255 are the bytes themselves, then the specials (<s> 256, </s> 257), then one id per
merge in rank order. A tokenizer with no merges is the byte-level tokenizer of tiny-random, so
one loader serves every model dir here.

Encoding, as the Rust `tokenizers` crate does for our tokenizer.json (ByteLevel pre-tokenizer,
add_prefix_space false, use_regex true; BPE model; no normalizer, no post-processor):
  1. split the text with GPT-2's pattern (PATTERN below);
  2. map each piece's UTF-8 bytes to printable characters (bytes_to_unicode);
  3. within a piece, repeatedly merge the adjacent pair with the lowest merge rank (leftmost
     first on ties) until no pair has a rank;
  4. specials are only recognised as whole added tokens, which prompts never contain.
The Java side loads the same tokenizer.json through DJL; HuggingFaceTextTokenizerTest checks
that both encode the held-out sample to the same ids.

Training (train_merges): word counts over the pre-tokenized corpus, then the classic BPE loop
with incremental pair counts and a lazy max-heap; ties are broken by the smaller pair of ids,
so the merges are a pure function of the corpus.
"""
import heapq
import json
from collections import Counter

import regex

from byte_tokenizer import BOS, EOS, bytes_to_unicode

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
SPECIALS = (BOS, EOS)
FIRST_MERGE_ID = 256 + len(SPECIALS)
B2U = bytes_to_unicode()


def pieces(text):
    return PATTERN.findall(text)


def train_merges(texts, vocab_size, progress=None, split=pieces, specials=SPECIALS):
    """Merges (pairs of ids) learnt from an iterable of strings until the vocab has vocab_size ids.

    Ids are the bytes, then `specials`, then one per new token; `split` is the pre-tokenizer
    (GPT-2's pattern unless a family's tokenizer passes its own, see family_tokenizers.py).
    """
    words = Counter()
    for t in texts:
        words.update(split(t))
    seqs = [list(w.encode("utf-8")) for w in words]
    freq = [words[w] for w in words]
    pair_count, where = Counter(), {}
    for i, (s, f) in enumerate(zip(seqs, freq)):
        for p in zip(s, s[1:]):
            pair_count[p] += f
            where.setdefault(p, set()).add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    bytes_of = [bytes([b]) for b in range(256)] + [s.encode() for s in specials]
    id_of = {b: i for i, b in enumerate(bytes_of)}
    while len(bytes_of) < vocab_size and heap:
        c, p = heapq.heappop(heap)
        if -c != pair_count.get(p, 0) or c == 0:
            continue                                   # stale entry
        # two merge paths can spell the same bytes ("ab"+"c", "a"+"bc"): one id per string
        joined = bytes_of[p[0]] + bytes_of[p[1]]
        new_id = id_of.setdefault(joined, len(bytes_of))
        if new_id == len(bytes_of):
            bytes_of.append(joined)
        merges.append(p)
        touched = Counter()
        for i in where.pop(p, ()):
            s, f = seqs[i], freq[i]
            if len(s) < 2:
                continue
            for q in zip(s, s[1:]):
                touched[q] -= f
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == p[0] and s[j + 1] == p[1]:
                    out.append(new_id)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = out
            for q in zip(out, out[1:]):
                touched[q] += f
                if new_id in q:
                    where.setdefault(q, set()).add(i)
        for q, d in touched.items():
            if d:
                pair_count[q] += d
                if pair_count[q] > 0:
                    heapq.heappush(heap, (-pair_count[q], q))
        pair_count.pop(p, None)
        if progress and len(merges) % 256 == 0:
            progress(len(merges))
    return merges


class Tokenizer:
    """Encoder/decoder for a byte-level BPE tokenizer.json written by tokenizer_json()."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.bytes_of = [bytes([b]) for b in range(256)] + [s.encode() for s in SPECIALS]
        id_of = {b: i for i, b in enumerate(self.bytes_of)}
        self.rank = {}                                 # (a, b) -> (rank, id of the merged token)
        for r, (a, b) in enumerate(self.merges):
            joined = self.bytes_of[a] + self.bytes_of[b]
            if joined not in id_of:
                id_of[joined] = len(self.bytes_of)
                self.bytes_of.append(joined)
            self.rank[(a, b)] = (r, id_of[joined])
        self.vocab_size = len(self.bytes_of)
        self.cache = {}

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        if model["type"] != "BPE" or tj["pre_tokenizer"]["type"] != "ByteLevel":
            raise ValueError(f"{path}: not a byte-level BPE tokenizer.json")
        vocab = model["vocab"]
        for b, u in bytes_to_unicode().items():
            if vocab.get(u) != b:
                raise ValueError(f"{path}: byte {b} is not id {b}")
        merges = []
        for m in model["merges"]:
            left, right = m.split(" ") if isinstance(m, str) else m
            merges.append((vocab[left], vocab[right]))
        tok = Tokenizer(merges)
        for s, i in vocab.items():
            if i >= 256 + len(SPECIALS) and tok.token_string(i) != s:
                raise ValueError(f"{path}: id {i} is {s!r} in the vocab but the merges build another token")
        if tok.vocab_size != len(vocab):
            raise ValueError(f"{path}: {len(vocab)} vocab entries, the merges build {tok.vocab_size}")
        return tok

    def encode_piece(self, piece):
        ids = self.cache.get(piece)
        if ids is None:
            ids = list(piece.encode("utf-8"))
            while len(ids) > 1:
                best, at = None, -1
                for j in range(len(ids) - 1):
                    r = self.rank.get((ids[j], ids[j + 1]))
                    if r is not None and (best is None or r < best):
                        best, at = r, j
                if best is None:
                    break
                ids[at:at + 2] = [best[1]]
            self.cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for p in pieces(text):
            out += self.encode_piece(p)
        return out

    def decode_bytes(self, ids):
        return b"".join(self.bytes_of[i] for i in ids)

    def decode(self, ids):
        """ByteLevel decoder semantics: concatenate bytes, lossy UTF-8; specials by content."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_text(self, i):
        return self.bytes_of[i].decode("utf-8", errors="replace")

    def token_string(self, i):
        """The vocab key of id i: its bytes through bytes_to_unicode (specials as written)."""
        if 256 <= i < FIRST_MERGE_ID:
            return SPECIALS[i - 256]
        return "".join(B2U[b] for b in self.bytes_of[i])

    def tokenizer_json(self):
        strings = [self.token_string(i) for i in range(self.vocab_size)]
        vocab = {s: i for i, s in enumerate(strings)}
        added = [{"id": 256 + i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, tok in enumerate(SPECIALS)]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": vocab,
                      "merges": [f"{strings[a]} {strings[b]}" for a, b in self.merges]},
        }

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False, indent=1)
            f.write("\n")
