#!/usr/bin/env bash
# Set up, then run the main job on the embedded defaults: the default model (Qwen2.5-Coder-0.5B-Instruct),
# the embedded dataset, 16 pairs, every layer x {resid, attn, mlp} at the last position.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${OUT:-results/demo.zarr}
.venv/bin/nsmed run --model default --dataset default --limit 16 --out "$OUT" --overwrite
.venv/bin/nsmed inspect "$OUT"
.venv/bin/nsmed plot "$OUT" --out "${OUT%.zarr}.png"
echo "store:  $OUT"
echo "figure: ${OUT%.zarr}.png"
