#!/usr/bin/env bash
# Kill -9 a neural training run at a random step, resume it, and check that
# the resumed log has the same losses, bit for bit, as an uninterrupted run
# (a resumed run must equal an uninterrupted one). Usage: scripts/test-resume.sh [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/autoreg" ./cmd/autoreg
head -c 300000 "${AUTOREG_SHARED:-../shared}/data/tinyshakespeare/input.txt" > "$work/text.txt"
common=(train --arch gpt --layers 2 --dim 64 --heads 4 --context 64 --batch 8 --steps "$steps"
	--lr 3e-3 --dropout 0.1 --accum 2 --eval-every 5 --data "$work/text.txt" --valid-split 0.1 --seed 7)

"$work/autoreg" "${common[@]}" --out "$work/a.arm" --log "$work/a.jsonl" 2>/dev/null

# Run again in the background and kill it hard at a random moment after
# its first checkpoint (the log is flushed at checkpoints, so the kill
# usually lands between two of them, and steps after the last checkpoint
# are lost and redone).
GOMAXPROCS=1 "$work/autoreg" "${common[@]}" --out "$work/b.arm" --log "$work/b.jsonl" 2>/dev/null &
pid=$!
while [ "$({ cat "$work/b.jsonl" 2>/dev/null || true; } | wc -l)" -lt 5 ]; do
	if ! kill -0 "$pid" 2>/dev/null; then echo "run ended before its first checkpoint"; exit 1; fi
	sleep 0.01
done
delay=$(python3 -c "import random; print(round(random.uniform(0, ${KILL_WINDOW:-2}), 3))")
sleep "$delay"
if ! kill -9 "$pid" 2>/dev/null; then echo "run finished before the kill (raise steps)"; exit 1; fi
wait "$pid" 2>/dev/null || true
echo "killed $delay s after the first checkpoint; last checkpoint at step $(wc -l < "$work/b.jsonl")"
"$work/autoreg" train --resume --out "$work/b.arm" --log "$work/b.jsonl" --data "$work/text.txt" --valid-split 0.1 2>"$work/err" || { cat "$work/err"; exit 1; }

field() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l); print(d["step"], d["tokens"], repr(d["loss"]), repr(d["lr"]), repr(d.get("val_loss")))' "$1"; }
if diff <(field "$work/a.jsonl") <(field "$work/b.jsonl") > "$work/diff"; then
	echo "resume OK: $(wc -l < "$work/a.jsonl") steps, identical losses"
else
	echo "resume MISMATCH:"; head -20 "$work/diff"; exit 1
fi
