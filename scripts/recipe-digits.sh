#!/usr/bin/env bash
# The 8×8 digits recipe: an unconditional gated PixelCNN over the 17
# levels (0..16) of the sklearn digits, trained on the data README's first
# 1,500 images (a tenth of them held out to pick the best checkpoint) and
# scored on the last 297. Target: ≤ 1.95 bits per pixel (the best count
# model: 2.08).
#
# usage: scripts/recipe-digits.sh [outdir]
#        (settings via env: LAYERS, DIM, STEPS, BATCH, LR)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-digits}
mkdir -p "$out"
rm -rf "$out/digits"
scripts/digits-to-pgm.sh "$out/digits"
go build -o "$out/autoreg" ./cmd/autoreg
"$out/autoreg" train --tokenizer pixels --levels 17 --arch pixelcnn --layers "${LAYERS:-5}" --dim "${DIM:-64}" \
	--data "$out/digits/train" --valid-split 0.1 --batch "${BATCH:-32}" --steps "${STEPS:-1500}" --lr "${LR:-2e-3}" \
	--weight-decay 0 --eval-every 250 --out "$out/digits.arm" --log "$out/digits.jsonl"
"$out/autoreg" eval --model "$out/digits.best.arm" --data "$out/digits/test" | tee "$out/eval.txt"
"$out/autoreg" sample --model "$out/digits.best.arm" --count 64 --seed 1 --out "$out/samples.png" >/dev/null
python3 - "$out/eval.txt" <<'PY'
import re, sys
b = float(re.search(r"([\d.]+) per dimension", open(sys.argv[1]).read()).group(1))
print(f"test: {b:.4f} bits per pixel; target <= 1.95:", "MET" if b <= 1.95 else "NOT MET")
PY
