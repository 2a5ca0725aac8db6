#!/usr/bin/env bash
# G2P side by side: the Transformer of scripts/recipe-g2p.sh trained for
# the same number of steps (STEPS, default the recipe's 40,000) by autoreg
# and by PyTorch (scripts/g2p_pytorch.py, the same architecture, optimizer,
# schedule, batches, label smoothing and beam search), one after the other
# on the same split, both then scored on the same test words: WER and PER
# with beam 5, and each side's training time (wall and CPU). The side that
# is faster at equal steps and at least as accurate wins at equal time too.
# PyTorch gets its best setup as scripts/bench-vs-pytorch.sh gives it
# (Debian's python3-torch with the OpenMP build of OpenBLAS,
# OPENBLAS_CORETYPE=SkylakeX, OPENBLAS_L2_SIZE unset, 2 threads, flushed
# denormals). Run it on a quiet machine: under load, OpenMP's spinning
# threads lose whole scheduler slices and the times mean little.
#
# usage: scripts/g2p-vs-pytorch.sh [workdir]
# env:   STEPS (40000) and recipe-g2p.sh's model variables
# needs: apt-get install -y python3-torch libopenblas0-openmp
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
export STEPS=${STEPS:-40000}
sfx=""
if [ "${STRESS:-0}" = 1 ]; then sfx="-stress"; fi

echo "== autoreg"
scripts/recipe-g2p.sh "$work" 2>&1 | grep -v '^\[' | tee "$work/autoreg.txt"
echo "== PyTorch"
blasdir=/usr/lib/x86_64-linux-gnu/openblas-openmp
/usr/bin/time -f '%U %S %e' -o "$work/pytorch.time" env -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH=$blasdir OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=2 /usr/bin/python3 \
	scripts/g2p_pytorch.py --train "$work/data/train$sfx.tsv" --dev "$work/data/dev$sfx.tsv" --test "$work/data/test$sfx.tsv" \
	--steps "$STEPS" --enc-layers "${ENC_LAYERS:-2}" --layers "${LAYERS:-2}" --dim "${DIM:-256}" --heads "${HEADS:-4}" \
	--ffn "${FFN:-1024}" --dropout "${DROPOUT:-0.1}" --label-smoothing "${LABEL_SMOOTHING:-0}" --batch "${BATCH:-64}" --lr "${LR:-1e-3}" --seed "${SEED:-1}" \
	--beams "${BEAMS:-5}" --warmup 0.02 | tee "$work/pytorch.jsonl"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
a = open(f"{work}/autoreg.txt").read()
wer = float(re.search(r"error rate\s+([\d.]+)%", a).group(1))
per = float(re.search(r"token error\s+([\d.]+)%", a).group(1))
p = [json.loads(l) for l in open(f"{work}/pytorch.jsonl") if l.startswith("{")][-1]
steps = [json.loads(l) for l in open(f"{work}/g2p.jsonl")]
u, s, w = map(float, open(f"{work}/train.time").read().split())
print(f"{'':10} {'steps':>8} {'WER %':>7} {'PER %':>7} {'train wall s':>13}")
print(f"{'autoreg':10} {steps[-1]['step']:>8} {wer:>7.2f} {per:>7.2f} {w:>13.0f}   (CPU {u + s:.0f} s)")
print(f"{'PyTorch':10} {p['steps']:>8} {100 * p['wer']:>7.2f} {100 * p['per']:>7.2f} {p['train_seconds']:>13.0f}")
PY
