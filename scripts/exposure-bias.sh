#!/usr/bin/env bash
# Exposure bias, measured: does training on a model's own predictions
# (scheduled sampling), on corrupted inputs (input noise) or on the
# expected cost of its own outputs (minimum risk training) beat teacher
# forcing where errors compound? Three tasks, one protocol:
#
#   - every remedy gets three settings, tried with seed 1 and judged on the
#     development part only (G2P: greedy WER on the dev words; births: the fair
#     CRPS of sample paths over leads 1..28 from every validation origin; text:
#     the best validation loss of the run); the best setting, and
#     teacher forcing, then run with seeds 1 and 2 (SEEDS);
#   - the same model and the same number of steps for every run (MRT: the
#     teacher-forced model of the same seed, fine-tuned MRT_STEPS or
#     BIRTHS_MRT_STEPS more, beside its control, the same fine-tuning by
#     likelihood, so that the extra steps are not credited to MRT);
#   - differences a conclusion rests on get 95% paired bootstrap intervals
#     over the test items (scripts/exposure_bias.py).
#
# Tasks:
#   g2p     the encoder-decoder on ../shared/data/cmudict (scripts/recipe-g2p.sh's
#           split, no stress): greedy and beam-5 WER and PER on the test words.
#   births  the births GPT (scripts/recipe-births.sh's model): fair CRPS of 200
#           sample paths from every test origin at leads 1, 7, 14 and 28; the
#           remedies are scheduled sampling, input jitter and MRT on the CRPS of
#           28-step paths.
#   text    a char GPT on tiny Shakespeare (first 90% train): held-out NLL, and
#           on 200 samples of 500 characters at temperature 1 the share with a
#           repeated span of ≥ 30 characters and their NLL under a character
#           8-gram judge trained on the training part, beside the same figures
#           for 200 windows of the held-out text.
#
# Budget: the defaults are sized for about 3 hours on 2 cores (the CPU time of
# reduced runs, scaled by steps; see docs/EXPOSURE-BIAS.md). TASKS selects
# tasks; the *_STEPS variables scale the training runs.
#
# usage: scripts/exposure-bias.sh [workdir]
# env:   TASKS ("g2p births text") SEEDS ("1 2") G2P_STEPS (2500) MRT_STEPS (300)
#        BIRTHS_STEPS (1000) BIRTHS_MRT_STEPS (200) TEXT_STEPS (1500) SAMPLES (200)
#        CHARS (500) PATHS (200) DEV_PATHS (50: births' development paths)
#        G2P_MODEL, TEXT_MODEL, BIRTHS_MODEL (flags of the model; defaults below)
#        G2P_SS, G2P_NOISE, G2P_MRT, BIRTHS_SS, BIRTHS_NOISE, BIRTHS_MRT, TEXT_SS,
#        TEXT_NOISE: the settings tried, separated by | (defaults below; one setting
#        skips the tuning)
#        G2P_REMEDIES ("ss noise ft mrt"), BIRTHS_REMEDIES ("ss noise ft mrt"),
#        TEXT_REMEDIES ("ss noise"): the remedies compared with teacher forcing; ft,
#        the control of MRT, is the teacher-forced model trained as many more steps
#        at MRT's learning rate by likelihood (MRT's gain over it is printed too)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-exposure-bias}")
mkdir -p "$work"/{g2p,births,text}
tasks=${TASKS:-g2p births text}
seeds=(${SEEDS:-1 2})
shared=${AUTOREG_SHARED:-../shared}
py=scripts/exposure_bias.py
go build -o "$work/autoreg" ./cmd/autoreg
ar=$work/autoreg
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
# timed CMD...: runs CMD, adding its CPU seconds (user + sys) to $work/cpu.
timed() {
	/usr/bin/time -f "%U %S" -o "$work/.t" "$@"
	awk '{print $1 + $2}' "$work/.t" >>"$work/cpu"
}
: >"$work/cpu"
runs="{}" # runs.json, built up as tasks finish
addrun() { runs=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d[sys.argv[2]]=json.loads(sys.argv[3]); print(json.dumps(d))' "$runs" "$1" "$2"); }
# best FILE: the setting on the line with the lowest score ("score setting" lines).
best() { sort -g "$1" | head -1 | cut -d' ' -f2-; }
# tune DIR REM FLAG SETTINGS RUN SCORE [FINISH]: the protocol for remedy REM.
# Every |-separated setting V of SETTINGS runs with seed 1 as "RUN REM<i> 1
# FLAG V" and is judged by "SCORE REM<i>" (a number, lower is better; written
# to DIR/REM.dev); the best runs with the other seeds too. "FINISH REM<i> SEED"
# (if given) then completes each seed's run (test scores, samples), and its
# files DIR/REM<i>.sSEED.* are linked as DIR/REM.sSEED.*; DIR/REM.chosen is
# the setting.
tune() {
	local d=$1 rem=$2 flag=$3 run=$5 score=$6 finish=${7:-} i s val f
	local -a sets
	IFS='|' read -ra sets <<<"$4"
	: >"$d/$rem.dev"
	for i in "${!sets[@]}"; do
		$run "$rem$i" 1 "$flag" "${sets[$i]}"
		echo "$($score "$rem$i") $i ${sets[$i]}" >>"$d/$rem.dev"
	done
	read -r i val <<<"$(best "$d/$rem.dev")"
	for s in "${seeds[@]}"; do
		[ "$s" = 1 ] || $run "$rem$i" "$s" "$flag" "$val"
		[ -z "$finish" ] || $finish "$rem$i" "$s"
		for f in "$d/$rem$i.s$s".*; do ln -sfn "$(basename "$f")" "$d/$rem.s$s.${f#"$d/$rem$i.s$s."}"; done
	done
	echo "$val" >"$d/$rem.chosen"
}
# record TASK EXTRA: adds the task's runs to runs.json: the JSON object EXTRA,
# the seeds, and teacher forcing and the remedies ${rems[@]}, labelled by label[].
record() {
	local -a infos=("tf=${label[tf]}")
	local r
	for r in "${rems[@]}"; do infos+=("$r=${label[$r]}"); done
	addrun "$1" "$(python3 $py runinfo "$work/$1" "${seeds[*]}" "$2" "${infos[@]}")"
}
# valloss NAME: the best validation loss in DIR/NAME.s1.jsonl ($d: the task's directory).
valloss() { python3 -c 'import json,sys; v=[json.loads(l).get("val_loss") for l in open(sys.argv[1])]; print(min(x for x in v if x is not None))' "$d/$1.s1.jsonl"; }

# ---------------------------------------------------------------- G2P
if [[ " $tasks " == *" g2p "* ]]; then
	d=$work/g2p
	go run ./internal/cmd/cmudict --out "$d/data" >/dev/null
	model=(${G2P_MODEL:---enc-layers 2 --layers 2 --dim 128 --heads 4 --ffn 512 --dropout 0.1 --batch 64 --lr 2e-3})
	steps=${G2P_STEPS:-2500}
	common=(--arch seq2seq --src-tokenizer char --tokenizer word --context 40 --src-context 40 "${model[@]}"
		--data "$d/data/train.tsv" --valid "$d/data/dev.tsv" --eval-tokens 15000 --eval-every $((steps / 10 + 1)))
	cut -f1 "$d/data/dev.tsv" | uniq >"$d/dev.words"
	cut -f1 "$d/data/test.tsv" | uniq >"$d/test.words"
	# score NAME SEED SPLIT BEAMS SUFFIX: per-word errors of a model.
	score() {
		"$ar" transduce --model "$d/$1.s$2.best.arm" --beams "$4" --batch 128 "$d/$3.words" >"$d/$1.s$2.$5.out"
		python3 $py g2p "$d/data/$3.tsv" "$d/$3.words" "$d/$1.s$2.$5.out" >"$d/$1.s$2.$5.jsonl"
	}
	devwer() { python3 -c 'import json,sys; w=[json.loads(l) for l in open(sys.argv[1])]; print(100*sum(x["err"] for x in w)/len(w))' "$1"; }
	# train NAME SEED FLAGS...: a teacher-forced run with remedy flags.
	train() {
		local name=$1 seed=$2
		shift 2
		log "g2p: $name seed $seed"
		timed "$ar" train "${common[@]}" --steps "$steps" --warmup $((steps / 50)) --seed "$seed" "$@" \
			--out "$d/$name.s$seed.arm" --log "$d/$name.s$seed.jsonl" 2>"$d/$name.s$seed.log"
	}
	# finetune NAME SEED FLAGS...: the teacher-forced model of the seed, trained
	# MRT_STEPS more (--mrt: by minimum risk; --objective mle: the control).
	finetune() {
		local name=$1 seed=$2
		shift 2
		[ "$1" != --mrt ] || set -- --objective mrt "$@"
		log "g2p: $name seed $seed"
		timed "$ar" train --arch seq2seq --init "$d/tf.s$seed.best.arm" "$@" --batch 32 --lr 2e-4 \
			--steps "${MRT_STEPS:-300}" --warmup 0 --seed "$seed" --eval-tokens 15000 --eval-every $((${MRT_STEPS:-300} / 5 + 1)) \
			--data "$d/data/train.tsv" --valid "$d/data/dev.tsv" --out "$d/$name.s$seed.arm" --log "$d/$name.s$seed.jsonl" 2>"$d/$name.s$seed.log"
	}
	# dev NAME: the development WER of a seed-1 run.
	dev() { score "$1" 1 dev 1 dev && devwer "$d/$1.s1.dev.jsonl"; }
	for s in "${seeds[@]}"; do train tf "$s"; done
	declare -A g2pset=(
		[ss]="${G2P_SS:-linear,floor=0.75|linear,floor=0.5|sigmoid,floor=0.5}"
		[noise]="${G2P_NOISE:-replace=0.05|replace=0.1|replace=0.05,delete=0.03,insert=0.03}"
		[mrt]="${G2P_MRT:-candidates=8,alpha=0.5,mle=0.1|candidates=8,alpha=1,mle=0.1|candidates=8,alpha=2,mle=0.3}"
		[ft]=mle)
	declare -A flag=([ss]=--scheduled-sampling [noise]=--input-noise [mrt]=--mrt [ft]=--objective)
	declare -A run=([ss]=train [noise]=train [mrt]=finetune [ft]=finetune)
	declare -A label=([tf]="teacher forcing" [ss]="scheduled sampling (two-pass)" [noise]="input noise" [mrt]="MRT fine-tuning"
		[ft]="teacher forcing, fine-tuned as MRT (control)")
	rems=(${G2P_REMEDIES:-ss noise ft mrt})
	for rem in "${rems[@]}"; do tune "$d" "$rem" "${flag[$rem]}" "${g2pset[$rem]}" "${run[$rem]}" dev; done
	for name in tf "${rems[@]}"; do
		for s in "${seeds[@]}"; do
			log "g2p: scoring $name seed $s"
			score "$name" "$s" test 1 greedy
			score "$name" "$s" test 5 beam
		done
	done
	record g2p '{}'
fi

# ---------------------------------------------------------------- births
if [[ " $tasks " == *" births "* ]]; then
	d=$work/births
	data=$shared/data/timeseries/births.csv
	model=(${BIRTHS_MODEL:---arch gpt --layers 1 --dim 32 --heads 2 --context 64 --head mog:3 --lags 7,14,357,364,365,366,371 --highway --dropout 0.2})
	split=(--data "$data" --column births --time date --test-split 0.2 --valid-split 0.2)
	train() {
		local name=$1 seed=$2
		shift 2
		log "births: $name seed $seed"
		timed "$ar" train "${split[@]}" "${model[@]}" --steps "${BIRTHS_STEPS:-1000}" --seed "$seed" "$@" \
			--out "$d/$name.s$seed.arm" --log "$d/$name.s$seed.jsonl" 2>"$d/$name.s$seed.log"
	}
	# mrt NAME SEED FLAGS...: the teacher-forced model of the seed, fine-tuned.
	# finetune NAME SEED FLAGS...: the teacher-forced model of the seed, trained
	# BIRTHS_MRT_STEPS more (--mrt: by minimum risk; --objective mle: the control).
	finetune() {
		local name=$1 seed=$2 steps=${BIRTHS_MRT_STEPS:-200}
		shift 2
		[ "$1" != --mrt ] || set -- --objective mrt "$@"
		log "births: $name seed $seed"
		timed "$ar" train "${split[@]}" --init "$d/tf.s$seed.best.arm" "$@" --steps "$steps" --lr 1e-4 --warmup 0 \
			--eval-every $((steps / 10 + 1)) --seed "$seed" --out "$d/$name.s$seed.arm" --log "$d/$name.s$seed.jsonl" 2>"$d/$name.s$seed.log"
	}
	# devcrps NAME: the mean fair CRPS over leads 1..28 of a seed-1 run's
	# sample paths from every origin of the validation part (the last 20% of
	# the training part: what eval holds out of the training part's rows).
	rows=$(($(wc -l <"$data") - 1))
	head -n $((1 + (rows * 8 + 5) / 10)) "$data" >"$d/trainpart.csv"
	devcrps() {
		"$ar" eval --model "$d/$1.s1.best.arm" --data "$d/trainpart.csv" --test-split 0.2 --horizon 28 --samples "${DEV_PATHS:-50}" --seed 1 --json |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["rolling"]["all"]["crps"])'
	}
	# evaluate NAME SEED: sample paths from every test origin.
	evaluate() {
		"$ar" eval --model "$d/$1.s$2.best.arm" --data "$data" --test-split 0.2 --season 7 --horizon 28 \
			--samples "${PATHS:-200}" --seed "$2" --origins-out "$d/$1.s$2.origins.csv" --json >"$d/$1.s$2.eval.json"
	}
	for s in "${seeds[@]}"; do train tf "$s" && evaluate tf "$s"; done
	declare -A bset=([ss]="${BIRTHS_SS:-linear,floor=0.75|linear,floor=0.5|sigmoid,floor=0.25}"
		[noise]="${BIRTHS_NOISE:-jitter=0.05|jitter=0.1|jitter=0.2}"
		[mrt]="${BIRTHS_MRT:-candidates=8,alpha=1,mle=0.1,horizon=28|candidates=8,alpha=0.5,mle=0.1,horizon=28|candidates=8,alpha=1,mle=1,horizon=28}"
		[ft]=mle)
	declare -A flag=([ss]=--scheduled-sampling [noise]=--input-noise [mrt]=--mrt [ft]=--objective)
	declare -A run=([ss]=train [noise]=train [mrt]=finetune [ft]=finetune)
	declare -A label=([tf]="teacher forcing" [ss]="scheduled sampling (sampled values, two-pass)" [noise]="input jitter"
		[mrt]="MRT fine-tuning (CRPS of 28-step paths)" [ft]="teacher forcing, fine-tuned as MRT (control)")
	rems=(${BIRTHS_REMEDIES:-ss noise ft mrt})
	for rem in "${rems[@]}"; do tune "$d" "$rem" "${flag[$rem]}" "${bset[$rem]}" "${run[$rem]}" devcrps evaluate; done
	record births '{"leads": [1, 7, 14, 28]}'
fi

# ---------------------------------------------------------------- text
if [[ " $tasks " == *" text "* ]]; then
	d=$work/text
	src=$shared/data/tinyshakespeare/input.txt
	head -c 1003854 "$src" >"$d/train.txt"
	tail -c +1003855 "$src" >"$d/valid.txt"
	samples=${SAMPLES:-200}
	chars=${CHARS:-500}
	model=(${TEXT_MODEL:---arch gpt --tokenizer char --layers 2 --dim 128 --heads 4 --context 128 --batch 16 --lr 2e-3 --dropout 0.1})
	steps=${TEXT_STEPS:-1500}
	common=("${model[@]}" --steps "$steps" --eval-every $((steps / 10 + 1)) --eval-tokens 40000 --data "$d/train.txt" --valid "$d/valid.txt")
	log "text: the 8-gram judge"
	timed "$ar" train --arch ngram --order 8 --tokenizer char --data "$d/train.txt" --out "$d/judge.arm" 2>/dev/null
	# judge DIR OUT: the judge's NLL of DIR's files in 10 groups (the
	# bootstrap's items), one {"nats", "chars"} line per group.
	judge() {
		: >"$2"
		local files=("$1"/*.txt) g k
		for g in $(seq 0 9); do
			rm -rf "$1.g" && mkdir -p "$1.g"
			for ((k = g; k < ${#files[@]}; k += 10)); do cp "${files[$k]}" "$1.g/"; done
			"$ar" eval --model "$d/judge.arm" --data "$1.g" --json |
				python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"nats": r["nll_nats"], "chars": r["chars"]}))' >>"$2"
		done
		rm -rf "$1.g"
	}
	python3 $py text-windows "$d/valid.txt" "$d/real" "$samples" "$chars" 1
	python3 $py repetition "$d/real" 30 >"$d/real.rep"
	judge "$d/real" "$d/real.judge.jsonl"
	train() {
		local name=$1 seed=$2
		shift 2
		log "text: $name seed $seed"
		timed "$ar" train "${common[@]}" --seed "$seed" "$@" --out "$d/$name.s$seed.arm" --log "$d/$name.s$seed.jsonl" 2>"$d/$name.s$seed.log"
	}
	finish() { # NAME SEED: held-out NLL, samples, repetition, judge
		local m=$d/$1.s$2.best.arm i
		"$ar" eval --model "$m" --data "$d/valid.txt" --stride 32 --json |
			python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"nats_per_char": r["nll_nats"]/r["chars"]}))' >"$d/$1.s$2.eval.json"
		mkdir -p "$d/$1.s$2.samples"
		for i in $(seq 1 "$samples"); do
			"$ar" sample --model "$m" --max-tokens "$chars" --temperature 1 --seed $((1000 * $2 + i)) >"$d/$1.s$2.samples/$(printf %03d "$i").txt"
		done
		python3 $py repetition "$d/$1.s$2.samples" 30 >"$d/$1.s$2.rep"
		judge "$d/$1.s$2.samples" "$d/$1.s$2.judge.jsonl"
	}
	for s in "${seeds[@]}"; do train tf "$s" && finish tf "$s"; done
	declare -A tset=([ss]="${TEXT_SS:-linear,floor=0.9|linear,floor=0.75|sigmoid,floor=0.5}" [noise]="${TEXT_NOISE:-replace=0.02|replace=0.05|replace=0.03,delete=0.02,insert=0.02}")
	declare -A flag=([ss]=--scheduled-sampling [noise]=--input-noise)
	declare -A label=([tf]="teacher forcing" [ss]="scheduled sampling (two-pass)" [noise]="input noise")
	rems=(${TEXT_REMEDIES:-ss noise})
	for rem in "${rems[@]}"; do tune "$d" "$rem" "${flag[$rem]}" "${tset[$rem]}" train valloss finish; done
	record text "{\"samples\": $((samples * ${#seeds[@]})), \"chars\": $chars}"
fi

echo "$runs" >"$work/runs.json"
python3 $py report "$work" | tee "$work/report.md"
echo "CPU time of the training runs: $(awk '{s += $1} END {printf "%.0f", s}' "$work/cpu") s (user + sys); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
