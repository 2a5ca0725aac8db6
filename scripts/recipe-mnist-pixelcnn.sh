#!/usr/bin/env bash
# The binarized-MNIST recipe: a class-conditional gated PixelCNN trained for
# at most 60 minutes on 2 cores on the 60,000 training digits, binarized
# stochastically anew every epoch (each pixel 1 with probability v/255),
# 5% of them held out to pick the best checkpoint; then
#   - the fixed binarized test set scored in nats per image, given each
#     digit's class and marginal over the classes (the unconditional figure
#     the literature reports: NADE 88.86, PixelCNN 81.30);
#   - 100 samples per class at temperature 1, judged by scripts/mnist-knn
#     (1-NN accuracy against real test digits, and distances to the
#     nearest training image), and a PNG grid per class.
#
# usage: scripts/recipe-mnist-pixelcnn.sh [outdir] [max-time]
#        (defaults: ./recipe-mnist, 60m; settings via env: LAYERS, DIM,
#         KERNEL, MAPS, BATCH, LR, STEPS)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-mnist}
maxtime=${2:-60m}
mkdir -p "$out"
data=${AUTOREG_SHARED:-../shared}/data/images/mnist
go build -o "$out/autoreg" ./cmd/autoreg
go build -o "$out/mnist-knn" ./scripts/mnist-knn
arch=(--arch pixelcnn --layers "${LAYERS:-12}" --dim "${DIM:-32}" --kernel "${KERNEL:-3}" --maps "${MAPS:-8}")
common=(--tokenizer pixels --levels 2 --binarize stochastic --control-from labels
	--data "$data/train-images-idx3-ubyte.gz" --batch "${BATCH:-16}")
if [ -z "${STEPS:-}" ]; then
	STEPS=$(scripts/calibrate-steps.sh "$out/autoreg" "$maxtime" "$(( ${BATCH:-16} * 785 ))" "${common[@]}" "${arch[@]}")
	echo "calibrated: $STEPS steps of ${BATCH:-16} images fit $maxtime"
fi
"$out/autoreg" train "${common[@]}" "${arch[@]}" --valid-split 0.05 --lr "${LR:-2e-3}" --weight-decay 0 \
	--warmup 200 --steps "$STEPS" --max-time "$maxtime" --eval-every 500 --eval-tokens 400000 \
	--out "$out/mnist.arm" --log "$out/mnist.jsonl"
test="$data/t10k-images-binarized-idx3-ubyte.gz"
"$out/autoreg" eval --model "$out/mnist.best.arm" --data "$test" | tee "$out/eval-conditional.txt"
"$out/autoreg" eval --model "$out/mnist.best.arm" --data "$test" --marginal | tee "$out/eval-marginal.txt"
"$out/autoreg" sample --model "$out/mnist.best.arm" --count 100 --seed 1 --out "$out/samples-images-idx3-ubyte"
"$out/mnist-knn" --train "$data/train-images-idx3-ubyte.gz" --test "$test" \
	--samples "$out/samples-images-idx3-ubyte" | tee "$out/knn.txt"
for c in 0 1 2 3 4 5 6 7 8 9; do
	"$out/autoreg" sample --model "$out/mnist.best.arm" --control "$c" --count 64 --seed 2 --out "$out/class-$c.png" >/dev/null
done
"$out/autoreg" sample --model "$out/mnist.best.arm" --count 10 --seed 3 --out "$out/classes.png" >/dev/null
"$out/autoreg" sample --model "$out/mnist.best.arm" --prompt-image "$test" --rows 14 --count 10 --out "$out/completions.png" >/dev/null
python3 - "$out" <<'PY'
import re, sys
d = sys.argv[1]
m = float(re.search(r"([\d.]+) nats per image", open(d + "/eval-marginal.txt").read()).group(1))
print(f"test NLL, marginal over the classes: {m:.2f} nats/image; target <= 88.86 (NADE):", "MET" if m <= 88.86 else "NOT MET")
k = open(d + "/knn.txt").read()
r = float(re.search(r"ratio ([\d.]+)", k).group(1))
print(f"1-NN accuracy of samples / of test digits: {r:.3f}; target >= 0.9:", "MET" if r >= 0.9 else "NOT MET")
PY
echo "loss chart: $out/mnist.loss.png; grids: $out/class-*.png, $out/classes.png, $out/completions.png"
