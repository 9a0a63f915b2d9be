#!/usr/bin/env bash
# End-to-end reproduction of models/mesh-mini-16e on a 2-core Debian 12 CPU machine.
# Steps: packages -> corpus + BPE tokenizer -> train (~1.3 h) -> export check -> held-out evaluation ->
# golden vectors -> tokenizer golden file -> model card.
# Env: STEPS (default 1500), SKIP_APT=1 to skip apt-get, RESUME=1 to continue an interrupted run,
# EVAL_DOCS held-out documents per language to score (default 100, ~5 min; 0 = all, ~30 min).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3          # Debian's python: the one python3-torch installs into
STEPS="${STEPS:-1500}"
MODEL=models/mesh-mini-16e

if [ "${SKIP_APT:-0}" != 1 ]; then
  apt-get update
  apt-get install -y python3-torch python3-numpy python3-matplotlib python3-regex libopenblas0-pthread \
    fortunes fortunes-min fortunes-de fortunes-es fortunes-it fortunes-pl fortunes-ru fortunes-cs \
    fortunes-br dict-gcide
fi

"$PY" tools/train/build_corpus.py
"$PY" tools/train/train.py --steps "$STEPS" --warmup 100 --batch 16 --seq 256 --ckpt-every 50 \
  --export-every 250 ${RESUME:+--resume}
"$PY" tools/train/check_export.py --ckpt tools/train/runs/mesh-mini-16e/ckpt.pt
"$PY" tools/train/evaluate.py "$MODEL" --max-docs-per-lang "${EVAL_DOCS:-100}"
# A trained router ranks experts closely: thresholds stay >= 10x the float32 noise between engines,
# and prompts whose margins fall below them are skipped (tools/reference/golden.py).
"$PY" tools/reference/golden.py "$MODEL" --name mesh-mini-16e --dtype BF16 \
  --prompts tools/reference/prompts-multilingual.json --cases 6 --min-gate-margin 2e-5 \
  --min-gate-margin-generated 1e-5 --min-greedy-margin 1e-3 --min-prompt-argmax-margin 1e-4 --allow-special
"$PY" tools/reference/tokenizer_golden.py "$MODEL" --heldout tools/train/data/heldout.jsonl
"$PY" tools/train/model_card.py "$MODEL"
