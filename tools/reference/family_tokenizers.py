"""Generated tokenizers in the tokenizer.json formats of the MoE families, with golden ids.

The real vocabularies (Qwen2's 151k, GPT-NeoX-20B's 50k, DeepSeek's 100k tokens) cannot be
downloaded here. Instead this trains a small byte-level BPE vocabulary per family on
multilingual text (Debian's fortunes plus TEXTS below) and writes it in that family's exact
tokenizer.json layout: normalizer, pre-tokenizer, model options, decoder, post-processor and
added tokens as the family's released files declare them. These are generated files in the
real formats, not the real vocabularies.

An independent encoder (Encoder below: the `regex` module for the pre-tokenizer patterns,
bytes_to_unicode, BPE by merge rank) writes golden.json: the ids of every text in TEXTS and
of a seeded sample of fortunes. The Java tests load the same tokenizer.json through DJL (the
Rust `tokenizers` crate) and must give exactly these ids, and decode them back.

Pipeline, as `tokenizers` runs it (tokenizer.rs, added_vocabulary.rs):
  1. added tokens with normalized=false are cut out of the raw text (leftmost-longest);
  2. the normalizer (NFC for Qwen2 and GPT-NeoX) runs on the rest;
  3. added tokens with normalized=true (GPT-NeoX's runs of spaces) are cut out of that;
  4. the pre-tokenizer splits what is left (each Split is `Isolated`: matches and the gaps
     between them both become pieces), ByteLevel maps bytes to printable characters;
  5. BPE merges each piece by merge rank (lowest first, leftmost on ties);
  6. the post-processor adds DeepSeek's BOS; the others add nothing.

  /usr/bin/python3 tools/reference/family_tokenizers.py   # writes moe-core/src/test/resources/tokenizers/
"""
import argparse
import glob
import json
import os
import re
import unicodedata
from collections import Counter

import numpy as np
import regex

from bpe_tokenizer import train_merges
from byte_tokenizer import bytes_to_unicode

B2U = bytes_to_unicode()
BYTE_ORDER = list(B2U)                                 # GPT-2's vocab order: "!" first, then ...

# Qwen2 / Qwen1.5 / Qwen3 tokenizer.json, pre_tokenizer Split pattern.
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# GPT-2's pattern, which the ByteLevel pre-tokenizer applies when use_regex is true (GPT-NeoX).
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def _char_class(ranges):
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


# DeepSeek LLM / deepseek-moe-16b: the Split regexes as llama.cpp lists them for its
# "deepseek-llm" pre-tokenizer (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM), which were
# taken from that tokenizer.json. Written as code points so no editor normalises them (the
# class holds U+1FBE, U+2126, U+212A, which NFC would turn into other letters).
_DS_LETTERS = [
    (0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA), (0x1BC, 0x1BF),
    (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373), (0x376, 0x376), (0x377, 0x377), (0x37B, 0x37D),
    (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1), (0x3A3, 0x3F5),
    (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556), (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD),
    (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A),
    (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57),
    (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4),
    (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3),
    (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102),
    (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115), (0x2119, 0x211D), (0x2124, 0x2124),
    (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D), (0x212F, 0x2134), (0x2139, 0x2139),
    (0x213C, 0x213F), (0x2145, 0x2149), (0x214E, 0x214E), (0x2183, 0x2183), (0x2184, 0x2184),
    (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4), (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF2), (0x2CF3, 0x2CF3),
    (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E),
    (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2), (0x10CC0, 0x10CF2),
    (0x118A0, 0x118DF), (0x1E900, 0x1E943)]
_DS_PUNCT = [(0x21, 0x2F), (0x3A, 0x7E), (0xFF01, 0xFF0F), (0xFF1A, 0xFF5E), (0x2018, 0x201F), (0x3000, 0x3002)]
_DS_CJK = [(0x4E00, 0x9FA5), (0x0800, 0x4E00), (0xAC00, 0xD7FF)]
DEEPSEEK_PATTERNS = ["[\r\n]", r"\s?[" + _char_class(_DS_LETTERS) + "]+", r"\s?[" + _char_class(_DS_PUNCT) + "]+",
                     r"\s+$", "[" + _char_class(_DS_CJK) + "]+", r"\p{N}+"]


def _split(pattern):
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}


def _added(i, content, special=True, normalized=False):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": normalized, "special": special}


BYTE_LEVEL_DECODER = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
QWEN_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
                 " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                 "{{ '<|im_start|>assistant\\n' }}{% endif %}")
DEEPSEEK_BOS, DEEPSEEK_EOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"
DEEPSEEK_TEMPLATE = ("{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
                     "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                     "{{ 'User: ' + message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}"
                     "{{ 'Assistant: ' + message['content'] + eos_token }}{% endif %}{% endfor %}"
                     "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}")


class Family:
    """One family's tokenizer.json layout and its Python twin of the pre-tokenizer."""

    def __init__(self, name, normalizer, pre_tokenizer, post_processor, specials_first, specials, config,
                 pieces, extra_added=(), bpe_extra=None, decoder=None):
        self.name, self.normalizer, self.pre_tokenizer = name, normalizer, pre_tokenizer
        self.post_processor, self.specials_first, self.specials = post_processor, specials_first, specials
        self.config, self.pieces, self.extra_added = config, pieces, list(extra_added)
        self.bpe_extra = bpe_extra or {}               # BPE fields to set; None drops the field
        self.decoder = decoder or BYTE_LEVEL_DECODER


def _isolated(pieces, pattern):
    """tokenizers' Split with behavior Isolated: every match and every gap between matches."""
    out = []
    for p in pieces:
        at = 0
        for m in pattern.finditer(p):
            if m.start() > at:
                out.append(p[at:m.start()])
            if m.end() > m.start():
                out.append(m.group())
            at = m.end()
        if at < len(p):
            out.append(p[at:])
    return out


_QWEN = regex.compile(QWEN_PATTERN)
_GPT2 = regex.compile(GPT2_PATTERN)
_DEEPSEEK = [regex.compile(p) for p in DEEPSEEK_PATTERNS] + [regex.compile(r"\p{N}")]   # + Digits(individual)


def qwen_pieces(text):
    return _isolated([text], _QWEN)


def gpt2_pieces(text):
    return _isolated([text], _GPT2)


def deepseek_pieces(text):
    pieces = [text]
    for p in _DEEPSEEK:
        pieces = _isolated(pieces, p)
    return pieces


FAMILIES = {
    "qwen2": Family(
        "qwen2", {"type": "NFC"},
        {"type": "Sequence", "pretokenizers": [
            _split(QWEN_PATTERN),
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        False, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        {"add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
         "unk_token": None, "chat_template": QWEN_TEMPLATE, "clean_up_tokenization_spaces": False,
         "errors": "replace", "model_max_length": 32768, "split_special_tokens": False,
         "tokenizer_class": "Qwen2Tokenizer"},
        qwen_pieces, bpe_extra={"continuing_subword_prefix": "", "end_of_word_suffix": ""},
        decoder={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}),
    "gpt-neox": Family(
        # Written in 2022 by an older `tokenizers`: no use_regex (default true), no byte_fallback or
        # ignore_merges fields, the specials also in the BPE vocab.
        "gpt-neox", {"type": "NFC"},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True},
        True, ["<|endoftext|>", "<|padding|>"],
        {"add_bos_token": False, "add_eos_token": False, "bos_token": "<|endoftext|>",
         "eos_token": "<|endoftext|>", "pad_token": "<|padding|>", "unk_token": "<|endoftext|>",
         "clean_up_tokenization_spaces": True, "model_max_length": 4096,
         "tokenizer_class": "GPTNeoXTokenizer"},
        gpt2_pieces,
        # GPT-NeoX-20B's added runs of 24 down to 2 spaces (normalized, not special), then OLMoE's
        # additions (OLMo's PII masks); eos stays <|endoftext|>.
        extra_added=[(" " * n, False, True) for n in range(24, 1, -1)]
        + [(t, True, False) for t in ("|||EMAIL_ADDRESS|||", "|||PHONE_NUMBER|||", "|||IP_ADDRESS|||")],
        bpe_extra={"byte_fallback": None, "ignore_merges": None},
        decoder={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}),
    "deepseek": Family(
        "deepseek", None,
        {"type": "Sequence", "pretokenizers": [_split(p) for p in DEEPSEEK_PATTERNS]
         + [{"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        None,                                          # set in tokenizer_json: TemplateProcessing with BOS
        False, [DEEPSEEK_BOS, DEEPSEEK_EOS],
        {"add_bos_token": True, "add_eos_token": False, "legacy": True,
         "bos_token": {"__type": "AddedToken", "content": DEEPSEEK_BOS, "lstrip": False, "normalized": True,
                       "rstrip": False, "single_word": False},
         "eos_token": {"__type": "AddedToken", "content": DEEPSEEK_EOS, "lstrip": False, "normalized": True,
                       "rstrip": False, "single_word": False},
         "pad_token": None, "unk_token": None, "chat_template": DEEPSEEK_TEMPLATE,
         "clean_up_tokenization_spaces": False, "model_max_length": 4096, "sp_model_kwargs": {},
         "tokenizer_class": "LlamaTokenizerFast"},
        deepseek_pieces),
}

# Golden texts: every script the families serve, plus the edge cases of each pre-tokenizer.
TEXTS = [
    "", " ", "  ", "\n", "\n\n\n", "\r\n", "\t\tindented", "a  b   c", "trailing   ", "   leading",
    "Hello, world! How are you today?",
    "don't, won't, I'LL, she'S, we've, they'd, you're, I'M",
    "DON'T SHOUT, it's fine. YOU'RE RIGHT; WE'VE GOT IT",
    "1234567890 3.14159 1,000,000 2026-11-28 in 1999 and 2000, 12345 people",
    "x=1; y==2 && z!=3 -> {ok} [a](b) #tag @user $5.00 100% ~/dir/*.py",
    "Crème brûlée, façade, naïve, jalapeño, Ångström, smörgåsbord, Øresund",
    "Żółć gęślą jaźń; Příliš žluťoučký kůň úpěl ďábelské ódy",
    "Größenwahn: Die Straße führt über den Fluß nach Köln. Schöne Grüße!",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Жизнь — это то, что происходит, пока ты строишь планы.",
    "Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Καλημέρα!",
    "中文：我能吞下玻璃而不伤身体。今天天气很好，我们去公园吧！",
    "日本語のテキスト：私はガラスを食べられます。それは私を傷つけません。カタカナとひらがな。",
    "한국어: 나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 안녕하세요!",
    "العربية: أنا قادر على أكل الزجاج و هذا لا يؤلمني. مرحبا بالعالم",
    "हिन्दी: मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती। नमस्ते दुनिया",
    "עברית: אני יכול לאכול זכוכית וזה לא מזיק לי.",
    "ไทย: ฉันกินกระจกได้ แต่มันไม่ทำให้ฉันเจ็บ",
    "emoji 🙂👍🏽 and ZWJ 👩‍💻 family 👨‍👩‍👧 flags 🇩🇪🇯🇵 ❤️",
    "Mixed: Zürich — Ελληνικά, the quick brown fox 日本 한국 Москва 2026!",
    "line one\nline two\n\nline four\r\nwindows line\ttab",
    "¿Qué? ¡Sí! «Ёлки-палки» — „Zitat“ ‚ja‘ … “quoted” ‘single’",
    "Full-width：ＡＢＣ１２３！？ and ideographic　space。",
    "combining e\u0301 vs precomposed \u00e9, A\u030a vs \u00c5",
    "\u00a0non-breaking\u2009thin\u3000ideographic spaces",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(12))",
    "Ünïcödé ÀÉÎÕÜ àéîõü ÇçŞşĞğİı ŁłŃńŚśŹźŻż",
    "ℂℕℝ and Kelvin \u212a, Ohm \u2126, Ångström \u212b, long s \u017f",
    "ﬁne ﬂour ﬀ (ligatures) and 𝐁𝐨𝐥𝐝 math letters",
    "Numbers in scripts: ٠١٢٣ ४५६ 三千 ⅫⅣ ½ ²³",
]

QWEN_SPECIAL_TEXTS = ["<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHallo, wie geht's?<|im_end|>\n"
                      "<|im_start|>assistant\n", "text<|endoftext|>more", "<|im_start|><|im_end|>"]
NEOX_SPECIAL_TEXTS = ["first<|endoftext|>second", "<|padding|><|padding|>x", "mail |||EMAIL_ADDRESS||| now"]
DEEPSEEK_SPECIAL_TEXTS = ["User: hi\n\nAssistant: hello" + DEEPSEEK_EOS, DEEPSEEK_BOS + "twice"]
SPECIAL_TEXTS = {"qwen2": QWEN_SPECIAL_TEXTS, "gpt-neox": NEOX_SPECIAL_TEXTS, "deepseek": DEEPSEEK_SPECIAL_TEXTS}

FORTUNES = "/usr/share/games/fortunes"
CORPUS = {"en": ["fortunes", "literature", "science", "wisdom", "people"], "de": ["de/*"], "ru": ["ru/*"],
          "es": ["es/*"], "pl": ["pl/*"], "zh": ["chinese", "tang300", "song100"]}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def read_fortunes(lang, limit_chars):
    """Entries (strfile text, split on lines holding "%") of one language, up to limit_chars."""
    entries, total = [], 0
    for pattern in CORPUS[lang]:
        for path in sorted(glob.glob(os.path.join(FORTUNES, pattern))):
            path = _utf8_copy(path)
            if path is None:
                continue
            try:
                text = open(path, encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            for e in re.split(r"\n%\n", ANSI.sub("", text)):
                e = e.strip("\n")
                if e and total < limit_chars:
                    entries.append(e)
                    total += len(e)
    return entries


def _utf8_copy(path):
    """The file to read for a fortune file: its .u8 UTF-8 copy where one is not empty; None for indexes."""
    if path.endswith((".dat", ".u8")):
        return None
    if os.path.isfile(path + ".u8") and os.path.getsize(path + ".u8") > 0:
        return path + ".u8"
    return path if os.path.getsize(path) > 0 else None


class Vocab:
    """Token strings by id in the family's layout, and the merges as pairs of token strings."""

    def __init__(self, family, merge_bytes):
        self.family = family
        self.tokens = list(family.specials) if family.specials_first else []
        self.tokens += [B2U[b] for b in BYTE_ORDER]
        seen = set(self.tokens)
        self.merges = []
        for a, b in merge_bytes:
            sa, sb = to_token(a), to_token(b)
            self.merges.append((sa, sb))
            if sa + sb not in seen:
                seen.add(sa + sb)
                self.tokens.append(sa + sb)
        self.model_size = len(self.tokens)
        self.added = []                                # (id, content, special, normalized)
        if family.specials_first:
            self.added += [(i, t, True, False) for i, t in enumerate(family.specials)]
        else:
            self.added += [(self.model_size + i, t, True, False) for i, t in enumerate(family.specials)]
        base = self.model_size if family.specials_first else self.model_size + len(family.specials)
        self.added += [(base + i, t, s, n) for i, (t, s, n) in enumerate(family.extra_added)]
        self.id_of = {t: i for i, t in enumerate(self.tokens)}

    def special_id(self, content):
        return next(i for i, t, _, _ in self.added if t == content)

    def tokenizer_json(self):
        f = self.family
        post = f.post_processor
        if f.name == "deepseek":
            bos = {"id": DEEPSEEK_BOS, "type_id": 0}
            post = {"type": "TemplateProcessing",
                    "single": [{"SpecialToken": bos}, {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [{"SpecialToken": bos}, {"Sequence": {"id": "A", "type_id": 0}},
                             {"SpecialToken": {"id": DEEPSEEK_BOS, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                    "special_tokens": {DEEPSEEK_BOS: {"id": DEEPSEEK_BOS, "ids": [self.special_id(DEEPSEEK_BOS)],
                                                      "tokens": [DEEPSEEK_BOS]}}}
        model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False}
        model.update(f.bpe_extra)
        model = {k: v for k, v in model.items() if k not in f.bpe_extra or f.bpe_extra[k] is not None}
        model["vocab"] = self.id_of
        model["merges"] = [f"{a} {b}" for a, b in self.merges]
        return {"version": "1.0", "truncation": None, "padding": None,
                "added_tokens": [_added(i, t, s, n) for i, t, s, n in self.added],
                "normalizer": f.normalizer, "pre_tokenizer": f.pre_tokenizer, "post_processor": post,
                "decoder": f.decoder, "model": model}


def to_token(bs):
    return "".join(B2U[b] for b in bs)


class Encoder:
    """The family's pipeline written out in Python (see the module doc), independent of `tokenizers`."""

    def __init__(self, vocab):
        self.vocab, self.family = vocab, vocab.family
        self.rank = {pair: r for r, pair in enumerate(vocab.merges)}
        self.added_id = {t: i for i, t, _, _ in vocab.added}
        self.special_ids = {i for i, _, s, _ in vocab.added if s}
        self.content = {i: t for i, t, _, _ in vocab.added}

    def _cut_added(self, text, normalized):
        """[(segment, None) | (token, id)]: leftmost-longest matches of added tokens with this flag."""
        tokens = [t for _, t, _, n in self.vocab.added if n == normalized]
        out, at, i = [], 0, 0
        while i < len(text):
            best = max((t for t in tokens if text.startswith(t, i)), key=len, default=None)
            if best is None:
                i += 1
                continue
            if i > at:
                out.append((text[at:i], None))
            out.append((best, self.added_id[best]))
            i = at = i + len(best)
        if at < len(text):
            out.append((text[at:], None))
        return out

    def _bpe(self, piece):
        word = [B2U[b] for b in piece.encode("utf-8")]
        while len(word) > 1:
            ranked = [(self.rank.get((word[j], word[j + 1])), j) for j in range(len(word) - 1)]
            ranked = [(r, j) for r, j in ranked if r is not None]
            if not ranked:
                break
            _, j = min(ranked)
            word[j:j + 2] = [word[j] + word[j + 1]]
        return [self.vocab.id_of[t] for t in word]

    def encode(self, text):
        ids = [self.vocab.special_id(DEEPSEEK_BOS)] if self.family.name == "deepseek" else []
        for raw, raw_id in self._cut_added(text, normalized=False):
            if raw_id is not None:
                ids.append(raw_id)
                continue
            if self.family.normalizer is not None:
                raw = unicodedata.normalize("NFC", raw)
            for seg, seg_id in self._cut_added(raw, normalized=True):
                if seg_id is not None:
                    ids.append(seg_id)
                    continue
                for piece in self.family.pieces(seg):
                    ids += self._bpe(piece)
        return ids

    def decode(self, ids):
        """ByteLevel decoder, special tokens skipped: the tokens' bytes as lossy UTF-8."""
        out = bytearray()
        for i in ids:
            if i in self.special_ids:
                continue
            token = self.content.get(i, self.vocab.tokens[i] if i < len(self.vocab.tokens) else "")
            bs = bytes(BYTE_OF[c] for c in token) if all(c in BYTE_OF for c in token) else token.encode("utf-8")
            out += bs
        return out.decode("utf-8", errors="replace")


BYTE_OF = {u: b for b, u in B2U.items()}


def build(family, corpus, merges):
    """Trains merges on the corpus split by the family's own pre-tokenizer (as its BPE was trained)."""
    def split(text):
        if family.normalizer is not None:
            text = unicodedata.normalize("NFC", text)
        return family.pieces(text)

    pairs = train_merges(corpus, 256 + merges, split=split, specials=())
    bytes_of = [bytes([b]) for b in range(256)]
    id_of = {b: i for i, b in enumerate(bytes_of)}
    merge_bytes = []
    for a, b in pairs:
        merge_bytes.append((bytes_of[a], bytes_of[b]))
        joined = bytes_of[a] + bytes_of[b]
        if joined not in id_of:
            id_of[joined] = len(bytes_of)
            bytes_of.append(joined)
    return Vocab(family, merge_bytes)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "moe-core", "src",
                                                  "test", "resources", "tokenizers"))
    ap.add_argument("--merges", type=int, default=1500)
    ap.add_argument("--train-chars", type=int, default=150_000, help="per language")
    ap.add_argument("--heldout", type=int, default=12, help="held-out fortunes per language in golden.json")
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    corpus, heldout = list(TEXTS) * 3, []
    for lang in CORPUS:
        entries = read_fortunes(lang, 10 * a.train_chars)
        if not entries:
            raise SystemExit(f"no fortunes for {lang}: apt-get install fortunes fortunes-de fortunes-ru "
                             "fortunes-es fortunes-pl fortunes-zh")
        order = rng.permutation(len(entries))
        taken, n = [], 0
        for i in order:
            if n >= a.train_chars:
                break
            taken.append(i)
            n += len(entries[i])
        corpus += [entries[i] for i in taken]
        rest = [i for i in order[len(taken):] if len(entries[i]) < 400]
        heldout += [entries[i] for i in sorted(rest[:a.heldout])]
    for name, family in FAMILIES.items():
        vocab = build(family, corpus, a.merges)
        enc = Encoder(vocab)
        cases = []
        for text in TEXTS + SPECIAL_TEXTS[name] + heldout:
            ids = enc.encode(text)
            decoded = enc.decode(ids)
            plain = not any(t in text for _, t, _, _ in vocab.added)
            expected = unicodedata.normalize("NFC", text) if family.normalizer else text
            if plain and decoded != expected:
                raise SystemExit(f"{name}: round trip failed for {text!r}: {decoded!r}")
            cases.append({"text": text, "ids": ids, "decoded": decoded})
        out = os.path.join(a.out, name)
        os.makedirs(out, exist_ok=True)
        write_json(os.path.join(out, "tokenizer.json"), vocab.tokenizer_json())
        write_json(os.path.join(out, "tokenizer_config.json"), family.config)
        specials = {t: i for i, t, s, _ in vocab.added if s}
        bos = family.config.get("bos_token")
        eos = family.config.get("eos_token")
        write_json(os.path.join(out, "golden.json"), {
            "family": name, "generated_by": "tools/reference/family_tokenizers.py",
            "vocab_size": vocab.model_size + len(vocab.added) - (len(family.specials) if family.specials_first else 0),
            "bos_token": bos["content"] if isinstance(bos, dict) else (bos or ""),
            "eos_token": eos["content"] if isinstance(eos, dict) else (eos or ""),
            "special_tokens": specials, "cases": cases})
        merged = sum(1 for c in cases for i in c["ids"] if vocab.tokens[i:i + 1] and len(vocab.tokens[i]) > 1
                     and i not in enc.special_ids)
        print(f"{name}: {len(vocab.merges)} merges, {len(cases)} texts, "
              f"{sum(len(c['ids']) for c in cases)} ids ({merged} merged tokens) -> {out}")


if __name__ == "__main__":
    main()
