#!/usr/bin/env bash
# The sentence-VAE recipe on PTB (Bowman et al. 2016, "Generating
# Sentences from a Continuous Space"): three models trained side by side
# on word-level PTB, one sentence per sequence, validated on PTB's valid
# file, then measured on its test file.
#
#   base   a sentence-level LSTM language model (each sentence from <s>,
#          no state carried across sentences) with the VAE decoder's size;
#   plain  a VAE with --latent 32 and none of the remedies: the textbook
#          ELBO, which is expected to collapse (KL -> 0, no active units);
#   vae    the same VAE with remedies (VAE_FIXES): by default cyclical KL
#          annealing (4 cycles, Fu et al. 2019) with free bits of 0.125
#          nats per dimension (Kingma et al. 2016).
#
# The three trainings run at once for the same --max-time (a fair share of
# the machine each); the learning-rate schedule is sized to the steps that
# fit (a short calibration of all three first, unless STEPS is given).
# Then: the baseline's test perplexity (each sentence scored from a zero
# state), each VAE's importance-weighted bound (K = IW codes per sentence),
# ELBO, KL, active units, mutual information (He et al. 2019) and the token
# accuracy of greedy reconstructions from the posterior mean beside decodes
# from prior draws; samples from the prior, reconstructions and
# interpolations between test sentences (greedy, no bigram repeated: a
# decoder trained briefly loops otherwise). TEST_EVERY=n scores every n-th
# test sentence only (the importance-weighted bound costs K decoder passes
# per sentence); the baseline is scored on that subset too.
#
# usage: scripts/recipe-ptb-vae.sh [outdir] [max-time]
#        (defaults: ./recipe-ptb-vae, 60m; settings via env: STEPS, DIM,
#         LAYERS, LATENT, BATCH, LR, DROPOUT, IW, TEST_EVERY, VAE_FIXES)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-recipe-ptb-vae}
maxtime=${2:-60m}
mkdir -p "$out"
ptb=${AUTOREG_SHARED:-../shared}/data/ptb
go build -o "$out/autoreg" ./cmd/autoreg
ar="$out/autoreg"

# PTB's longest sentence is 82 words; a row holds <s>, the words and </s>.
common=(--tokenizer word --mode lines --layers "${LAYERS:-1}" --dim "${DIM:-200}" --context 90
	--batch "${BATCH:-32}" --dropout "${DROPOUT:-0.1}" --lr "${LR:-5e-3}" --beta2 0.999
	--weight-decay 0.01 --clip 1 --data "$ptb/ptb.train.txt")
vaeargs=(--arch vae --latent "${LATENT:-32}")
fixes=(${VAE_FIXES:---kl-anneal cyclical:4:0.5 --free-bits 0.125})
declare -A args=(
	[base]="--arch lstm --sentences"
	[plain]="${vaeargs[*]}"
	[vae]="${vaeargs[*]} ${fixes[*]}"
)
names=(base plain vae)

if [ -z "${STEPS:-}" ]; then
	# Time 60 steps of each, at once, as the real runs will share the
	# machine; plan the steps that fit 90% of the budget (validation takes
	# the rest), the slowest model's count for all three.
	for n in "${names[@]}"; do
		# shellcheck disable=SC2086
		"$ar" train "${common[@]}" ${args[$n]} --steps 60 --eval-every 100000 \
			--out "$out/calib-$n.arm" --log "$out/calib-$n.jsonl" 2>/dev/null &
	done
	wait
	secs=$(python3 -c "import re;s='$maxtime';print(sum(float(v)*{'h':3600,'m':60,'s':1}[u] for v,u in re.findall(r'([\d.]+)([hms])',s)))")
	STEPS=$(python3 - "$secs" "$out"/calib-*.jsonl <<'PY'
import json, sys
secs = float(sys.argv[1])
rates = []
for f in sys.argv[2:]:
    log = [json.loads(l) for l in open(f)]
    a, b = log[19], log[-1]  # past the first steps' warm caches
    rates.append((b["step"] - a["step"]) / (b["elapsed_sec"] - a["elapsed_sec"]))
print(int(0.9 * secs * min(rates)))
PY
)
	rm -f "$out"/calib-*
	echo "calibrated: $STEPS steps fit $maxtime"
fi

start=$(date +%s)
for n in "${names[@]}"; do
	# A model already trained in OUTDIR is kept, so that another VAE
	# setting can be compared with the same baseline: copy base.best.arm,
	# plain.best.arm, eval-base*.json and eval-plain.json into a new
	# OUTDIR and give the first run's STEPS.
	[ -e "$out/$n.best.arm" ] && continue
	# shellcheck disable=SC2086
	"$ar" train "${common[@]}" ${args[$n]} --steps "$STEPS" --max-time "$maxtime" \
		--eval-every $((STEPS / 6 + 1)) --eval-tokens 25000 --valid "$ptb/ptb.valid.txt" \
		--out "$out/$n.arm" --log "$out/$n.jsonl" >"$out/train-$n.txt" 2>&1 &
done
wait
echo "training wall time: $(($(date +%s) - start)) s (three runs at once)"
tail -n 1 "$out"/train-*.txt

every=${TEST_EVERY:-1}
awk -v n="$every" '(NR - 1) % n == 0' "$ptb/ptb.test.txt" >"$out/test.txt"
K=${IW:-100}
fresh() { [ ! -s "$1" ] || [ "$2" -nt "$1" ]; } # fresh RESULT MODEL: RESULT is missing or older
if fresh "$out/eval-base.json" "$out/base.best.arm"; then
	"$ar" eval --model "$out/base.best.arm" --data "$ptb/ptb.test.txt" --json >"$out/eval-base-fulltest.json"
	"$ar" eval --model "$out/base.best.arm" --data "$out/test.txt" --json >"$out/eval-base.json"
fi
for n in plain vae; do
	if fresh "$out/eval-$n.json" "$out/$n.best.arm"; then
		"$ar" eval --model "$out/$n.best.arm" --data "$out/test.txt" --iw-samples "$K" --recon-accuracy --json >"$out/eval-$n.json" &
	fi
done
wait

# What the code carries, for a person to read: prior samples,
# reconstructions and homotopies between test sentences.
{
	echo "## samples from the prior (vae)"
	"$ar" sample --model "$out/vae.best.arm" --num-return 8 --seed 1 --max-tokens 40
	for m in vae plain; do
		echo
		echo "## reconstructions of test sentences (greedy, no repeated bigram) ($m)"
		for i in 11 40 1200 2500; do
			s=$(sed -n "${i}p" "$ptb/ptb.test.txt" | sed 's/^ *//;s/ *$//')
			echo "in:  $s"
			echo "out: $("$ar" sample --model "$out/$m.best.arm" --reconstruct "$s" --max-tokens 40 --no-repeat-ngram 2)"
		done
	done
	for pair in "11 40" "1200 2500" "7 3000"; do
		set -- $pair
		a=$(sed -n "${1}p" "$ptb/ptb.test.txt" | sed 's/^ *//;s/ *$//')
		b=$(sed -n "${2}p" "$ptb/ptb.test.txt" | sed 's/^ *//;s/ *$//')
		echo
		echo "## interpolation (vae, greedy, no repeated bigram): test sentence $1 to test sentence $2"
		echo "A: $a"
		echo "B: $b"
		"$ar" sample --model "$out/vae.best.arm" --interpolate "$a" --to "$b" --steps 8 --max-tokens 40 --no-repeat-ngram 2
	done
} 2>&1 | tee "$out/samples.txt"

python3 - "$out" "$K" "$every" <<'PY'
import json, math, sys
out, K, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = json.load(open(f"{out}/eval-base.json"))
full = json.load(open(f"{out}/eval-base-fulltest.json"))
print(f"test subset: every {every}. sentence, {base['sequences']} sentences, {base['tokens']} tokens")
print(f"base   perplexity {base['ppl']:.2f} (full test set {full['ppl']:.2f})")
for m in ("plain", "vae"):
    r = json.load(open(f"{out}/eval-{m}.json"))
    gap = 100 * (r["ppl_iw"] / base["ppl"] - 1)
    print(f"{m:6} IW bound (K={K}) perplexity {r['ppl_iw']:.2f} ({gap:+.1f}% vs base), ELBO {r['ppl_elbo']:.2f}; "
          f"KL {r['kl_nats_per_sequence']:.2f} nats/sentence, active units {r['active_units']}/{r['latent_dim']}, "
          f"MI {r['mutual_info_nats']:.2f} nats; token accuracy {100*r['reconstruction_accuracy']:.1f}% "
          f"reconstructed vs {100*r['prior_accuracy']:.1f}% from the prior")
r = json.load(open(f"{out}/eval-vae.json"))
p = json.load(open(f"{out}/eval-plain.json"))
checks = [
    ("IW bound within 3% of the baseline", r["ppl_iw"] <= 1.03 * base["ppl"]),
    ("MI >= 1 nat", r["mutual_info_nats"] >= 1),
    (">= 8 of 32 units active", r["active_units"] >= 8),
    ("reconstruction beats the prior", r["reconstruction_accuracy"] > r["prior_accuracy"]),
    ("the plain VAE collapses (KL < 0.1 nats/sentence)", p["kl_nats_per_sequence"] < 0.1),
]
for name, ok in checks:
    print(f"{'MET    ' if ok else 'NOT MET'} {name}")
PY
