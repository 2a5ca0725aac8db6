#!/usr/bin/env bash
# Fill-in-the-middle acceptance on the demo's Go source (Bavarian et al.
# 2022, "FIM for free"): two GPTs of the same size and training budget, one
# trained with --fim-rate 0.5 (half the windows in FIM order, half of those
# SPM), one left to right only; then, in one run, on seeded held-out spans
# of one to three whole lines inside a function body (internal/cmd/fimspans
# over the demo's held-out files):
#
#   1. the FIM model's nats for the span given both sides (in SPM order, the
#      default of eval --infill), its end included, against the
#      left-to-right model's nats for the span given the prefix alone: want a
#      ratio ≤ 0.8;
#   2. the two models' ordinary left-to-right loss on the held-out files
#      (autoreg eval, bits per character): want the FIM model within 2%.
#
# Both models train for the same number of steps (STEPS); the script prints
# each training's CPU time (user + sys), which bounds its wall time on 2
# free cores (CPU time / 2: contention only inflates CPU time). On a quiet
# 2-core machine the defaults take about 25 minutes per model.
#
# usage: scripts/fim-accept.sh [workdir]
# env:   STEPS (4000) LAYERS (4) DIM (256) HEADS (4) CONTEXT (256) BATCH (16)
#        LR (1e-3) SPANS (650 drawn; those whose middle takes more than half the
#        context are skipped by both models) SEED (1)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
steps=${STEPS:-4000}
layers=${LAYERS:-4}
dim=${DIM:-256}
heads=${HEADS:-4}
context=${CONTEXT:-256}
batch=${BATCH:-16}
lr=${LR:-1e-3}
nspans=${SPANS:-650}
seed=${SEED:-1}

go build -o "$work/autoreg" ./cmd/autoreg
go build -o "$work/fimspans" ./internal/cmd/fimspans
ar="$work/autoreg"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

"$ar" demo --list-files >"$work/files.tsv"
awk -F'\t' '$1 == "train" { print $2 }' "$work/files.tsv" >"$work/train.txt"
awk -F'\t' '$1 == "held-out" { print $2 }' "$work/files.tsv" >"$work/held.txt"
mapfile -t trainfiles <"$work/train.txt"
mapfile -t heldfiles <"$work/held.txt"
echo "demo corpus: ${#trainfiles[@]} training files, ${#heldfiles[@]} held-out files"

"$work/fimspans" --n "$nspans" --seed "$seed" "${heldfiles[@]}" >"$work/spans.tsv"
echo "spans: $(wc -l <"$work/spans.tsv") of one to three lines inside function bodies"

common=(--arch gpt --tokenizer char --layers "$layers" --dim "$dim" --heads "$heads" --context "$context"
	--batch "$batch" --steps "$steps" --lr "$lr" --seed "$seed" --eval-every 0 --data "${trainfiles[@]}")
for m in fim l2r; do
	extra=()
	if [ "$m" = fim ]; then extra=(--fim-rate 0.5 --fim-spm-rate 0.5); fi
	# A finished model of an earlier run in the same workdir is reused.
	if [ -f "$work/$m.arm" ] && "$ar" info --model "$work/$m.arm" --json 2>/dev/null | grep -q "\"steps\":$steps[,}]"; then
		echo "$m: reusing $work/$m.arm"
		continue
	fi
	/usr/bin/time -f '%U %S %e' -o "$work/$m.time" "$ar" train "${common[@]}" "${extra[@]}" \
		--out "$work/$m.arm" --log "$work/$m.jsonl" 2>&1 | tail -n 2
	read -r user sys wall <"$work/$m.time"
	python3 -c "import sys; m, n, u, s, w = sys.argv[1:]; c = float(u) + float(s); print(f'{m}: trained {n} steps: CPU time {c:.0f} s (fits {c / 120:.1f} minutes on 2 free cores), wall {float(w):.0f} s')" \
		"$m" "$steps" "$user" "$sys" "$wall"
	echo "load now $(cut -d' ' -f1-3 /proc/loadavg)"
done

json() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1"; }
fim_inf=$("$ar" eval --model "$work/fim.arm" --infill --spans "$work/spans.tsv" --json)
l2r_inf=$("$ar" eval --model "$work/l2r.arm" --infill --spans "$work/spans.tsv" --json)
fim_ho=$("$ar" eval --model "$work/fim.arm" --data "${heldfiles[@]}" --json)
l2r_ho=$("$ar" eval --model "$work/l2r.arm" --data "${heldfiles[@]}" --json)
echo "FIM model, span given both sides:   $fim_inf"
echo "L2R model, span given the prefix:    $l2r_inf"
echo "FIM model, held-out left to right:   bits/char $(json "$fim_ho" bits_per_char)"
echo "L2R model, held-out left to right:   bits/char $(json "$l2r_ho" bits_per_char)"
python3 - "$(json "$fim_inf" nll_nats)" "$(json "$l2r_inf" nll_nats)" "$(json "$fim_inf" spans)" "$(json "$l2r_inf" spans)" \
	"$(json "$fim_ho" bits_per_char)" "$(json "$l2r_ho" bits_per_char)" <<'EOF'
import sys
fim, l2r, nf, nl, bf, bl = map(float, sys.argv[1:])
r, h = fim / l2r, bf / bl
print(f"spans scored: {nf:.0f} (FIM), {nl:.0f} (L2R)")
print(f"span nats, FIM given both sides / L2R given the prefix: {r:.3f} (want <= 0.8 on >= 500 spans): {'PASS' if r <= 0.8 and nf == nl and nf >= 500 else 'FAIL'}")
print(f"held-out loss, FIM / L2R: {h:.4f} (want <= 1.02): {'PASS' if h <= 1.02 else 'FAIL'}")
EOF
