"""Build the mesh-mini-16e training corpus from installed Debian packages (deterministic).

Sources (all read from the package file lists, `dpkg -L`, so the result does not depend on
what else happens to be in /usr/share/games/fortunes):
  fortunes, fortunes-min (en), fortunes-de, -es, -it, -pl, -ru, -cs (cs, and sk for the
  klasik-sk file), fortunes-br (pt): strfile text, entries separated by a line "%".
  dict-gcide (en): Webster's 1913 via the dictd index; a seeded sample capped at --gcide-mb.
Skipped: strfile indexes (.dat), the .u8 aliases and symlinks (same files again), `off/`
(offensive) sections. Every document is labelled with lang + src; exact duplicates dropped.

Outputs in --out (not committed):
  train.jsonl / heldout.jsonl   {"lang", "src", "text"} one document per line
  tokenizer.json                byte-level BPE (tools/reference/bpe_tokenizer.py) learnt from the
                                training documents only; --vocab 258 = plain bytes, no merges
  train.u16                     uint16 token stream: each training doc encoded with it, each
                                followed by </s> (257) -- no <s>, as the Java engine prompts
  train_docs.u32                start offset of every document in train.u16
  manifest.json                 counts/bytes per language, package versions, licences, sha256
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import subprocess

import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import bpe_tokenizer                                      # noqa: E402

EOS = 257
FORTUNE_PKGS = {"fortunes": "en", "fortunes-min": "en", "fortunes-de": "de", "fortunes-es": "es",
                "fortunes-it": "it", "fortunes-pl": "pl", "fortunes-ru": "ru", "fortunes-cs": "cs",
                "fortunes-br": "pt"}
FILE_LANG = {"klasik-sk": "sk"}          # fortunes-cs ships one Slovak file
# Legacy encodings to try if a file is not UTF-8 (Debian ships these packages in UTF-8 today,
# but older releases used them; kept so a rebuild on another release still works).
LEGACY = {"ru": "koi8-r", "cs": "iso-8859-2", "sk": "iso-8859-2", "pl": "iso-8859-2"}
# Summarised from /usr/share/doc/<pkg>/copyright (Debian 12 versions).
LICENCES = {
    "fortunes": "BSD (fortune-mod); fortunes are quotations collected by the BSD fortune project",
    "fortunes-min": "BSD (fortune-mod)",
    "fortunes-de": "GPL-2+",
    "fortunes-es": "fortunes presumed public domain; packaging/tools GPL-2+",
    "fortunes-it": "freeware (public domain), per the package copyright file",
    "fortunes-pl": "GPL-2+",
    "fortunes-ru": "GPL-2 / GPL-2+",
    "fortunes-cs": "GPL-3+",
    "fortunes-br": "GPL-2+",
    "dict-gcide": "GPL-2+ (GCIDE; based on the public-domain Webster's 1913)",
}
CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")          # keep \t and \n only
GCIDE_TAG = re.compile(r"^\s*\[[^\]\n]*\]\s*$", re.M)    # "[1913 Webster]", "[PJC]" source lines
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def pkg_version(pkg):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True,
                          capture_output=True, text=True).stdout


def pkg_files(pkg):
    out = subprocess.run(["dpkg", "-L", pkg], check=True, capture_output=True, text=True).stdout
    return sorted(out.split("\n"))


def clean(text):
    text = CTRL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def fortune_docs(pkg, lang):
    seen = set()
    for path in pkg_files(pkg):
        if (not path.startswith("/usr/share/games/fortunes/") or "/off/" in path or path.endswith("/off")
                or path.endswith((".dat", ".u8")) or os.path.islink(path) or not os.path.isfile(path)):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        raw = open(real, "rb").read()
        flang = FILE_LANG.get(os.path.basename(real), lang)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode(LEGACY.get(flang, "latin-1"))
        src = f"{pkg}:{os.path.relpath(real, '/usr/share/games/fortunes')}"
        for entry in re.split(r"\n%\n", "\n" + text.replace("\r\n", "\n") + "\n"):
            entry = clean(entry)
            if entry.strip() and entry.strip() != "%":
                yield {"lang": flang, "src": src, "text": entry}


def gcide_docs(cap_bytes, rng):
    """One document per distinct dictd definition block (several headwords share a block)."""
    def b64(s):
        n = 0
        for c in s:
            n = n * 64 + B64.index(c)
        return n
    blocks = set()
    for line in open("/usr/share/dictd/gcide.index", encoding="utf-8"):
        word, off, length = line.rstrip("\n").split("\t")
        if not word.startswith("00-database"):
            blocks.add((b64(off), b64(length)))
    data = gzip.open("/usr/share/dictd/gcide.dict.dz").read()   # dictzip is valid gzip
    blocks = sorted(blocks)
    total = 0
    for i in rng.permutation(len(blocks)):
        off, length = blocks[i]
        text = clean(GCIDE_TAG.sub("", data[off:off + length].decode("utf-8", errors="replace")))
        text = re.sub(r"\n{3,}", "\n\n", text)
        if not text.strip():
            continue
        total += len(text.encode("utf-8"))
        if total > cap_bytes:
            break
        yield {"lang": "en", "src": "dict-gcide", "text": text}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--heldout", type=float, default=0.05)
    ap.add_argument("--gcide-mb", type=float, default=3.0)
    ap.add_argument("--vocab", type=int, default=2048, help="tokenizer vocabulary size (bytes + specials + merges)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)

    docs, seen = [], set()
    for pkg, lang in FORTUNE_PKGS.items():
        docs += list(fortune_docs(pkg, lang))
    docs += list(gcide_docs(int(a.gcide_mb * 1e6), rng))
    unique = []
    for d in docs:                      # exact duplicates would leak into the held-out set
        if d["text"] not in seen:
            seen.add(d["text"])
            unique.append(d)
    docs = unique

    # Held-out split stratified by language (and gcide separately) so every language is evaluated.
    groups = {}
    for i, d in enumerate(docs):
        groups.setdefault((d["lang"], d["src"] == "dict-gcide"), []).append(i)
    held = set()
    for key in sorted(groups):
        idx = groups[key]
        n = max(1, round(a.heldout * len(idx)))
        held.update(idx[j] for j in rng.permutation(len(idx))[:n])
    train = [docs[i] for i in range(len(docs)) if i not in held]
    heldout = [docs[i] for i in sorted(held)]
    train = [train[i] for i in rng.permutation(len(train))]      # mix languages in the stream

    for name, part in (("train.jsonl", train), ("heldout.jsonl", heldout)):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            for d in part:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
    tok = bpe_tokenizer.Tokenizer(bpe_tokenizer.train_merges((d["text"] for d in train), a.vocab))
    tok.write(os.path.join(a.out, "tokenizer.json"))
    starts, chunks, pos = [], [], 0
    for d in train:
        b = np.array(tok.encode(d["text"]), dtype=np.uint16)
        starts.append(pos)
        chunks += [b, np.array([EOS], dtype=np.uint16)]
        pos += len(b) + 1
    stream = np.concatenate(chunks)
    stream.tofile(os.path.join(a.out, "train.u16"))
    np.array(starts, dtype=np.uint32).tofile(os.path.join(a.out, "train_docs.u32"))

    def stats(part):
        s = {}
        for d in part:
            k = d["lang"] + ("-gcide" if d["src"] == "dict-gcide" else "")
            e = s.setdefault(k, {"docs": 0, "bytes": 0})
            e["docs"] += 1
            e["bytes"] += len(d["text"].encode("utf-8"))
        return dict(sorted(s.items()))

    def sha(name):
        return hashlib.sha256(open(os.path.join(a.out, name), "rb").read()).hexdigest()

    pkgs = list(FORTUNE_PKGS) + ["dict-gcide"]
    train_bytes = sum(len(d["text"].encode("utf-8")) for d in train)
    manifest = {"seed": a.seed, "heldout_fraction": a.heldout, "gcide_cap_bytes": int(a.gcide_mb * 1e6),
                "vocab_size": tok.vocab_size, "train_tokens": int(len(stream)),
                "train_bytes_per_token": round(train_bytes / (len(stream) - len(train)), 4), "train": stats(train), "heldout": stats(heldout),
                "packages": {p: {"version": pkg_version(p), "licence": LICENCES[p],
                                 "copyright": f"/usr/share/doc/{p}/copyright"} for p in pkgs},
                "sha256": {n: sha(n) for n in ("train.jsonl", "heldout.jsonl", "tokenizer.json", "train.u16",
                                                "train_docs.u32")}}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(json.dumps({k: manifest[k] for k in ("vocab_size", "train_tokens", "train_bytes_per_token", "train",
                                                "heldout")}, indent=1))


if __name__ == "__main__":
    main()
