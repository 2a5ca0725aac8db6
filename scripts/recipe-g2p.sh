#!/usr/bin/env bash
# Grapheme-to-phoneme on the CMU Pronouncing Dictionary: a Transformer
# encoder-decoder (autoreg train --arch seq2seq) trained for a fixed number
# of steps, then scored on the test words with beam 5.
#
# Data: ../shared/data/cmudict under the shared data's deterministic split
# (internal/cmd/cmudict), the 39 phonemes without stress digits (the
# published results' convention; STRESS=1 keeps the digits: 69 symbols).
# Words with characters other than letters, apostrophe, period and hyphen
# are left out (cmudict prints how many). A word is right if the output
# matches any of its pronunciations (WER); PER is the edit distance to the
# closest pronunciation over its length.
#
# Budget: a fixed number of optimizer steps (STEPS; the cosine schedule
# spans them), so that the result does not depend on the machine's load.
# The training's CPU time (user + sys) is printed: a run whose CPU time is
# at most 2 x N minutes fits N minutes of wall clock on 2 free cores
# (contention only inflates CPU time). The model kept is the one of the
# best validation loss (the first 15,000 dev tokens, 16 validations).
#
# usage: scripts/recipe-g2p.sh [workdir]
# env:   STEPS (40000) STRESS (0) ENC_LAYERS (2) LAYERS (2) DIM (256) HEADS (4)
#        FFN (1024) DROPOUT (0.1) LABEL_SMOOTHING (0) BATCH (64) LR (1e-3)
#        SEED (1) BEAMS (5)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
steps=${STEPS:-40000}
sfx=""
if [ "${STRESS:-0}" = 1 ]; then sfx="-stress"; fi
model=(--enc-layers "${ENC_LAYERS:-2}" --layers "${LAYERS:-2}" --dim "${DIM:-256}" --heads "${HEADS:-4}"
	--ffn "${FFN:-1024}" --dropout "${DROPOUT:-0.1}" --label-smoothing "${LABEL_SMOOTHING:-0}"
	--batch "${BATCH:-64}" --lr "${LR:-1e-3}" --seed "${SEED:-1}")
beams=${BEAMS:-5}

go build -o "$work/autoreg" ./cmd/autoreg
ar="$work/autoreg"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
go run ./internal/cmd/cmudict --out "$work/data"
data=(--data "$work/data/train$sfx.tsv" --valid "$work/data/dev$sfx.tsv")
common=(--arch seq2seq --src-tokenizer char --tokenizer word --context 40 --src-context 40 "${model[@]}" "${data[@]}")

echo "steps: $steps"
# Sixteen validations on the first 15,000 dev tokens (about 2,000 words).
/usr/bin/time -f '%U %S %e' -o "$work/train.time" "$ar" train "${common[@]}" --steps "$steps" --warmup $((steps / 50)) \
	--eval-every $((steps / 16)) --eval-tokens 15000 --out "$work/g2p.arm" --log "$work/g2p.jsonl"
read -r user sys wall <"$work/train.time"
python3 -c "import sys; u, s, w = map(float, sys.argv[1:]); print(f'training CPU time: {u + s:.0f} s ({(u + s) / 60:.1f} CPU-minutes: fits {(u + s) / 120:.1f} minutes on 2 free cores); wall {w:.0f} s')" "$user" "$sys" "$wall"
echo "load after training: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ar" eval --model "$work/g2p.best.arm" --data "$work/data/test$sfx.tsv" --decode --beams "$beams" --batch 128
cut -f1 "$work/data/test$sfx.tsv" | uniq >"$work/words.txt"
"$ar" transduce --model "$work/g2p.best.arm" --beams "$beams" --batch 128 --stats "$work/words.txt" >"$work/test.out"
paste "$work/words.txt" "$work/test.out" | sed -n 1,5p # not head: under pipefail its SIGPIPE would fail the script
