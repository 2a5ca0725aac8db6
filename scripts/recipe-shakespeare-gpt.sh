#!/usr/bin/env bash
# The quality recipe: a character GPT on tiny Shakespeare (standard
# split: first 90% of the bytes train, the rest validate), 30 minutes on 2
# cores, then the validation text scored as one sequence with a sliding
# window. Target: ≤ 1.50 nats/char (the 8-gram's 1.52 = 2.192 bits/char).
#
# usage: scripts/recipe-shakespeare-gpt.sh [outdir] [max-time]
#        (defaults: ./recipe-shakespeare, 30m; extra settings via env:
#         STEPS, LAYERS, DIM, HEADS, CONTEXT, BATCH, LR, DROPOUT)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-shakespeare}
maxtime=${2:-30m}
mkdir -p "$out"
src=${AUTOREG_SHARED:-../shared}/data/tinyshakespeare/input.txt
head -c 1003854 "$src" > "$out/train.txt"
tail -c +1003855 "$src" > "$out/valid.txt"
go build -o "$out/autoreg" ./cmd/autoreg
tokens_per_step=$(( ${BATCH:-16} * ${CONTEXT:-128} ))
if [ -z "${STEPS:-}" ]; then
	# Size the schedule to the machine: time 100 steps (the first 30, with
	# the allocations and page faults of the first batches, left out), then
	# plan the steps that fit the budget (92%, leaving room for validation),
	# so the cosine decay ends when the time does.
	"$out/autoreg" train --arch gpt --tokenizer char --layers "${LAYERS:-4}" --dim "${DIM:-256}" \
		--heads "${HEADS:-4}" --context "${CONTEXT:-128}" --batch "${BATCH:-16}" --dropout "${DROPOUT:-0.1}" \
		--steps 100 --data "$out/train.txt" --out "$out/calib.arm" --log "$out/calib.jsonl" 2>/dev/null
	secs=$(python3 -c "import re;s='$maxtime';print(sum(float(v)*{'h':3600,'m':60,'s':1}[u] for v,u in re.findall(r'([\d.]+)([hms])',s)))")
	STEPS=$(python3 - "$out/calib.jsonl" "$secs" "$tokens_per_step" <<'PY'
import json, statistics, sys
rates = [json.loads(l)["tokens_per_sec"] for l in open(sys.argv[1])][30:]
print(int(0.92 * float(sys.argv[2]) * statistics.median(rates) / int(sys.argv[3])))
PY
)
	rm -f "$out"/calib.*
	echo "calibrated: $STEPS steps of $tokens_per_step tokens fit $maxtime"
fi
"$out/autoreg" train --arch gpt --tokenizer char \
	--layers "${LAYERS:-4}" --dim "${DIM:-256}" --heads "${HEADS:-4}" --context "${CONTEXT:-128}" \
	--batch "${BATCH:-16}" --lr "${LR:-2e-3}" --dropout "${DROPOUT:-0.1}" \
	--steps "$STEPS" --max-time "$maxtime" --eval-every 250 --eval-tokens 40000 \
	--data "$out/train.txt" --valid "$out/valid.txt" --out "$out/shakes.arm" --log "$out/shakes.jsonl"
"$out/autoreg" eval --model "$out/shakes.best.arm" --data "$out/valid.txt" --stride 32 | tee "$out/eval.txt"
python3 - "$out/eval.txt" <<'PY'
import math, re, sys
t = open(sys.argv[1]).read()
bpc = float(re.search(r"([\d.]+) per character", t).group(1))
nats = bpc * math.log(2)
print(f"validation: {nats:.4f} nats/char ({bpc:.4f} bits/char); target <= 1.50 nats/char:", "MET" if nats <= 1.50 else "NOT MET")
PY
echo "loss chart: $out/shakes.loss.png"
