#!/usr/bin/env bash
# Grapheme-to-phoneme on the CMU Pronouncing Dictionary: a Transformer
# encoder-decoder (autoreg train --arch seq2seq) trained for a fixed wall
# time on 2 cores, then scored on the test words with beam 5.
#
# Data: ../shared/data/cmudict under the shared data's deterministic split
# (internal/cmd/cmudict), the 39 phonemes without stress digits (the
# published results' convention; STRESS=1 keeps the digits: 69 symbols).
# Words with characters other than letters, apostrophe, period and hyphen
# are left out (cmudict prints how many). A word is right if the output
# matches any of its pronunciations (WER); PER is the edit distance to the
# closest pronunciation over its length.
#
# Schedule: a 40-step calibration run measures this machine's steps per
# second now; the run then plans the steps that fit MINUTES (the cosine
# schedule spans them) and stops at MINUTES at the latest. The model kept
# is the one of the best validation loss (the first 15,000 dev tokens;
# validation time counts against the budget). STEPS=N trains N steps
# instead, whatever the time (the load-independent comparison of
# g2p-vs-pytorch.sh).
#
# usage: scripts/recipe-g2p.sh [workdir]
# env:   MINUTES (55) STEPS (unset) STRESS (0) ENC_LAYERS (2) LAYERS (2) DIM (256) HEADS (4)
#        FFN (1024) DROPOUT (0.1) BATCH (64) LR (1e-3) SEED (1) BEAMS (5)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
minutes=${MINUTES:-55}
sfx=""
if [ "${STRESS:-0}" = 1 ]; then sfx="-stress"; fi
model=(--enc-layers "${ENC_LAYERS:-2}" --layers "${LAYERS:-2}" --dim "${DIM:-256}" --heads "${HEADS:-4}"
	--ffn "${FFN:-1024}" --dropout "${DROPOUT:-0.1}" --batch "${BATCH:-64}" --lr "${LR:-1e-3}" --seed "${SEED:-1}")
beams=${BEAMS:-5}

go build -o "$work/autoreg" ./cmd/autoreg
ar="$work/autoreg"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
go run ./internal/cmd/cmudict --out "$work/data"
data=(--data "$work/data/train$sfx.tsv" --valid "$work/data/dev$sfx.tsv")
common=(--arch seq2seq --src-tokenizer char --tokenizer word --context 40 --src-context 40 "${model[@]}" "${data[@]}")

budget=(--max-time "${minutes}m")
if [ -n "${STEPS:-}" ]; then
	steps=$STEPS
	budget=()
	echo "steps: $steps"
else
	# Calibration: seconds per step between steps 10 and 40.
	"$ar" train "${common[@]}" --steps 40 --warmup 0 --eval-every 1000 --out "$work/calib.arm" --log "$work/calib.jsonl" >/dev/null 2>&1
	steps=$(python3 - "$work/calib.jsonl" "$minutes" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
t = {r["step"]: r["elapsed_sec"] for r in recs}
per = (t[40] - t[10]) / 30
print(int(float(sys.argv[2]) * 60 / per))
EOF
	)
	echo "calibration: $steps steps fit $minutes minutes now"
	rm -f "$work"/calib.*
fi

# Twenty validations on the first 15,000 dev tokens (about 2,000 words).
"$ar" train "${common[@]}" --steps "$steps" --warmup $((steps / 50)) --eval-every $((steps / 20 + 1)) \
	--eval-tokens 15000 "${budget[@]}" --out "$work/g2p.arm" --log "$work/g2p.jsonl"
echo "load after training: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ar" eval --model "$work/g2p.best.arm" --data "$work/data/test$sfx.tsv" --decode --beams "$beams" --batch 128
cut -f1 "$work/data/test$sfx.tsv" | uniq >"$work/words.txt"
"$ar" transduce --model "$work/g2p.best.arm" --beams "$beams" --batch 128 --stats "$work/words.txt" >"$work/test.out"
paste "$work/words.txt" "$work/test.out" | head -5
