#!/usr/bin/env bash
# The 8-bit MNIST recipe: an unconditional gated PixelCNN over all 256
# grey levels, trained for at most 60 minutes on 2 cores on the 60,000
# training digits (5% held out to pick the best checkpoint), then scored
# on the 10,000 test digits in bits per dimension (per pixel), the unit
# the literature reports 8-bit MNIST in, and a PNG grid of samples.
#
# usage: scripts/recipe-mnist8.sh [outdir] [max-time]
#        (defaults: ./recipe-mnist8, 60m; settings via env: LAYERS, DIM,
#         KERNEL, BATCH, LR, STEPS)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-mnist8}
maxtime=${2:-60m}
mkdir -p "$out"
data=${AUTOREG_SHARED:-../shared}/data/images/mnist
go build -o "$out/autoreg" ./cmd/autoreg
arch=(--arch pixelcnn --layers "${LAYERS:-12}" --dim "${DIM:-32}" --kernel "${KERNEL:-3}")
common=(--tokenizer pixels --levels 256 --data "$data/train-images-idx3-ubyte.gz" --batch "${BATCH:-16}")
if [ -z "${STEPS:-}" ]; then
	STEPS=$(scripts/calibrate-steps.sh "$out/autoreg" "$maxtime" "$(( ${BATCH:-16} * 785 ))" "${common[@]}" "${arch[@]}")
	echo "calibrated: $STEPS steps of ${BATCH:-16} images fit $maxtime"
fi
"$out/autoreg" train "${common[@]}" "${arch[@]}" --valid-split 0.05 --lr "${LR:-2e-3}" --weight-decay 0 \
	--warmup 200 --steps "$STEPS" --max-time "$maxtime" --eval-every 500 --eval-tokens 400000 \
	--out "$out/mnist8.arm" --log "$out/mnist8.jsonl"
"$out/autoreg" eval --model "$out/mnist8.best.arm" --data "$data/t10k-images-idx3-ubyte.gz" | tee "$out/eval.txt"
"$out/autoreg" sample --model "$out/mnist8.best.arm" --count 64 --seed 1 --out "$out/samples.png" >/dev/null
python3 - "$out/eval.txt" <<'PY'
import re, sys
b = float(re.search(r"([\d.]+) per dimension", open(sys.argv[1]).read()).group(1))
print(f"8-bit MNIST test: {b:.4f} bits per dimension")
PY
echo "loss chart: $out/mnist8.loss.png; samples: $out/samples.png"
