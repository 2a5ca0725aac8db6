#!/usr/bin/env bash
# control-codes.sh: measures whether control codes steer what a model writes.
#
# A character GPT is trained on the demo's Go source with `_test.go` files
# tagged "test" and the other Go files tagged "code"; two character n-grams
# are trained, one on each side's files. Under each tag the GPT writes
# N_SAMPLES samples; a sample counts for its tag when the n-gram of that
# tag's files gives it a higher likelihood than the other n-gram does (both
# score the same characters, so total NLL is compared). Untagged samples are
# scored the same way as a baseline. The demo's held-out files are excluded
# from the training of every model. With CFG_SCALE=γ other than 1, the
# tagged samples use classifier-free guidance away from the other tag
# (--cfg-scale γ --cfg-negative-control OTHER_TAG); the baseline does not.
#
#   scripts/control-codes.sh
#
# Settings are environment variables (defaults in brackets below); every
# one is printed with the result. WORK=DIR keeps models, samples and scores
# in DIR (default: a temporary directory, removed at the end); run again
# with the same WORK to resume an interrupted GPT training run, or to
# re-sample and re-score with other sampling settings without retraining
# (the GPT settings must then be unchanged: the script checks).
#
# Needs: go, and GOROOT's source (the demo corpus). About 20-30 minutes on
# two quiet cores, almost all of it the GPT's training.
set -euo pipefail
cd "$(dirname "$0")/.."

# The GPT.
LAYERS=${LAYERS:-3}
DIM=${DIM:-160}
HEADS=${HEADS:-4}
CONTEXT=${CONTEXT:-384} # ≥ MAX_TOKENS + 2: the control code stays in the window of every sample
BATCH=${BATCH:-8}
STEPS=${STEPS:-5000}
LR=${LR:-4e-3}
TRAIN_SEED=${TRAIN_SEED:-1}
# The n-grams that judge.
ORDER=${ORDER:-6}
# Sampling.
N_SAMPLES=${N_SAMPLES:-100}
MAX_TOKENS=${MAX_TOKENS:-300}
TEMPERATURE=${TEMPERATURE:-0.8}
TOP_P=${TOP_P:-0.95}
IGNORE_EOS=${IGNORE_EOS:-1} # 1: every sample is MAX_TOKENS long (a file is far longer than a sample)
BASELINE=${BASELINE:-1} # also score N_SAMPLES untagged samples (0 = skip)
CFG_SCALE=${CFG_SCALE:-1} # classifier-free guidance of the tagged samples away from the other tag (1 = off)
SAMPLE_FLAGS=${SAMPLE_FLAGS:-} # more `autoreg sample` flags for every sample, e.g. "--dry-multiplier 0.8"

if [ "$CONTEXT" -lt $((MAX_TOKENS + 2)) ]; then
	echo "warning: CONTEXT $CONTEXT < MAX_TOKENS + 2: the control code leaves the GPT's window during long samples" >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
work=${WORK:-$tmp/work}
mkdir -p "$work"
bin=$tmp/autoreg
go build -o "$bin" ./cmd/autoreg
ar() { "$bin" "$@"; }
t0=$SECONDS
say() { printf '[%4dm%02ds] %s\n' $(((SECONDS - t0) / 60)) $(((SECONDS - t0) % 60)) "$*"; }

echo "# autoreg $(git describe --always --dirty 2>/dev/null || echo '?'); $(go version); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. The demo's Go files, split by tag. Held-out files train nothing.
ar demo --list-files > "$work/files.tsv"
awk -F'\t' '$1 == "train" { print $2 }' "$work/files.tsv" > "$work/train.list"
awk -F'\t' '$1 == "held-out" { print $2 }' "$work/files.tsv" > "$work/heldout.list"
grep -E '_test\.go$' "$work/train.list" > "$work/train-test.list" || true
grep -vE '_test\.go$' "$work/train.list" > "$work/train-code.list" || true
grep -E '_test\.go$' "$work/heldout.list" > "$work/heldout-test.list" || true
grep -vE '_test\.go$' "$work/heldout.list" > "$work/heldout-code.list" || true
mapfile -t train_all < "$work/train.list"
mapfile -t train_test < "$work/train-test.list"
mapfile -t train_code < "$work/train-code.list"
mapfile -t held_test < "$work/heldout-test.list"
mapfile -t held_code < "$work/heldout-code.list"
bytes() { if [ $# -eq 0 ]; then echo 0; else cat "$@" | wc -c; fi; }
say "corpus: ${#train_test[@]} test files ($(bytes "${train_test[@]}") bytes) and ${#train_code[@]} code files ($(bytes "${train_code[@]}") bytes) train; ${#held_test[@]} test and ${#held_code[@]} code files held out"

# 2. The judges: one n-gram per tag, no control codes.
for tag in test code; do
	list=train_$tag[@]
	if [ ! -s "$work/ngram-$tag.arm" ]; then
		ar train --arch ngram --order "$ORDER" --out "$work/ngram-$tag.arm" "${!list}" 2> "$work/ngram-$tag.log"
	fi
done
say "n-grams: order $ORDER, $work/ngram-test.arm and $work/ngram-code.arm"

# 3. The GPT, tagged by file name (first matching pattern wins).
control='glob:*_test.go=test,*.go=code'
valid=()
for f in "${held_test[@]}" "${held_code[@]}"; do valid+=(--valid "$f"); done
gpt_flags=(--arch gpt --control-from "$control" --layers "$LAYERS" --dim "$DIM" --heads "$HEADS"
	--context "$CONTEXT" --batch "$BATCH" --steps "$STEPS" --lr "$LR" --seed "$TRAIN_SEED"
	--eval-tokens 32768)
gpt_cmd="autoreg train ${gpt_flags[*]} --valid HELD-OUT... --out gpt.arm TRAIN-FILES..."
if [ -f "$work/gpt.settings" ] && [ "$(cat "$work/gpt.settings")" != "$gpt_cmd" ]; then
	echo "$work holds a GPT trained with other settings:" >&2
	cat "$work/gpt.settings" >&2
	echo "use another WORK directory" >&2
	exit 1
fi
echo "$gpt_cmd" > "$work/gpt.settings"
if [ ! -f "$work/gpt.done" ]; then
	if [ -f "$work/gpt.arm" ]; then
		say "GPT: resuming $work/gpt.arm"
		ar train --resume --out "$work/gpt.arm" --log "$work/gpt.jsonl" "${valid[@]}" "${train_all[@]}" 2>> "$work/gpt.log"
	else
		say "GPT: training ($gpt_cmd); progress in $work/gpt.log"
		ar train "${gpt_flags[@]}" "${valid[@]}" --out "$work/gpt.arm" --log "$work/gpt.jsonl" "${train_all[@]}" 2> "$work/gpt.log"
	fi
	touch "$work/gpt.done"
fi
say "GPT: $(grep -h '^done:' "$work/gpt.log" | tail -1)"

# 4. Samples: seeds 1..N_SAMPLES under each tag (and without one). The CLI
# ends each sample with a newline of its own; it is removed.
sample_flags=(--max-tokens "$MAX_TOKENS" --temperature "$TEMPERATURE" --top-p "$TOP_P")
[ "$IGNORE_EOS" = 1 ] && sample_flags+=(--ignore-eos)
# shellcheck disable=SC2206 # SAMPLE_FLAGS is a list of words
[ -n "$SAMPLE_FLAGS" ] && sample_flags+=($SAMPLE_FLAGS)
sets=(test code)
[ "$BASELINE" = 1 ] && sets+=(none)
# Guidance: each tagged sample is pushed away from the other tag (test ↔ code);
# the untagged baseline stays plain.
cfg_on=$(awk -v g="$CFG_SCALE" 'BEGIN { print (g + 0 != 1) ? 1 : 0 }')
cfg_desc=""
[ "$cfg_on" = 1 ] && cfg_desc=" --cfg-scale $CFG_SCALE --cfg-negative-control OTHER_TAG"
skey="${sample_flags[*]}$cfg_desc n=$N_SAMPLES"
if [ ! -f "$work/samples.settings" ] || [ "$(cat "$work/samples.settings")" != "$skey" ]; then
	rm -rf "$work/samples" "$work/scores.tsv"
fi
for set in "${sets[@]}"; do
	mkdir -p "$work/samples/$set"
	ctl=()
	if [ "$set" != none ]; then
		ctl=(--control "$set")
		other=test
		[ "$set" = test ] && other=code
		[ "$cfg_on" = 1 ] && ctl+=(--cfg-scale "$CFG_SCALE" --cfg-negative-control "$other")
	fi
	for i in $(seq 1 "$N_SAMPLES"); do
		out=$work/samples/$set/$i.txt
		[ -f "$out" ] && continue
		ar sample --model "$work/gpt.arm" "${ctl[@]}" --seed "$i" "${sample_flags[@]}" > "$out.tmp"
		truncate -s -1 "$out.tmp"
		mv "$out.tmp" "$out"
	done
	say "samples: $N_SAMPLES under ${set/none/no control code} (autoreg sample --model gpt.arm ${ctl[*]} --seed I ${sample_flags[*]})"
done
echo "$skey" > "$work/samples.settings"

# 5. Scores: total NLL of each sample under each n-gram (autoreg eval
# --json scores the file as one sequence, </s> included).
nll() { ar eval --json --model "$1" --data "$2" | sed -E 's/.*"nll_nats":([^,}]*).*/\1/'; }
if [ ! -s "$work/scores.tsv" ]; then
	printf 'set\tseed\tchars\tnll_test\tnll_code\n' > "$work/scores.tmp"
	for set in "${sets[@]}"; do
		for i in $(seq 1 "$N_SAMPLES"); do
			f=$work/samples/$set/$i.txt
			a=$(nll "$work/ngram-test.arm" "$f")
			b=$(nll "$work/ngram-code.arm" "$f")
			printf '%s\t%d\t%d\t%s\t%s\n' "$set" "$i" "$(wc -m < "$f")" "$a" "$b" >> "$work/scores.tmp"
		done
	done
	mv "$work/scores.tmp" "$work/scores.tsv"
fi
say "scored: $work/scores.tsv"

# 6. Context: how well each model predicts the held-out files of each tag.
echo
echo "held-out bits per character (rows: model; columns: held-out files)"
printf '  %-22s %8s %8s\n' model test code
for m in ngram-test ngram-code gpt; do
	row=()
	for tag in test code; do
		list=held_$tag[@]
		row+=("$(ar eval --json --model "$work/$m.arm" "${!list}" | sed -E 's/.*"bits_per_char":([^,}]*).*/\1/')")
	done
	printf '  %-22s %8.3f %8.3f\n' "$m" "${row[0]}" "${row[1]}"
done

echo
echo "settings:"
echo "  GPT:      $gpt_cmd"
echo "            ($control; held-out files as --valid)"
echo "  n-grams:  autoreg train --arch ngram --order $ORDER --out ngram-TAG.arm TAG-TRAIN-FILES..."
echo "  samples:  autoreg sample --model gpt.arm --control TAG$cfg_desc --seed 1..$N_SAMPLES ${sample_flags[*]}"
[ "$cfg_on" = 1 ] && echo "            (OTHER_TAG: code for test, test for code; the untagged samples are not guided)"
echo "  scoring:  autoreg eval --json --model ngram-TAG.arm --data SAMPLE (total nll_nats, </s> included)"
echo
awk -F'\t' 'NR > 1 {
	n[$1]++; chars[$1] += $3
	if ($4 < $5) t[$1]++; else if ($5 < $4) c[$1]++
	d = ($5 - $4) / ($3 + 1); margin[$1] += d
}
END {
	printf "test: %d/%d closer to the test n-gram; code: %d/%d closer to the code n-gram\n", t["test"], n["test"], c["code"], n["code"]
	if (n["none"]) printf "(no control code: %d/%d closer to test, %d/%d closer to code)\n", t["none"], n["none"], c["none"], n["none"]
	split("test code none", sets, " ")
	for (k = 1; k <= 3; k++) {
		s = sets[k]
		if (n[s]) printf "  %-5s samples: mean %.0f characters, mean (NLL under code - NLL under test) %+.3f nats/char\n", s, chars[s] / n[s], margin[s] / n[s]
	}
}' "$work/scores.tsv"

# Fluency check: a sample caught in a loop (a run of 30 or more identical
# characters) can still be "closer" to one n-gram; count them so a result
# bought with degenerate text shows.
for set in "${sets[@]}"; do
	loops=0
	for i in $(seq 1 "$N_SAMPLES"); do
		grep -qE '(.)\1{29,}' "$work/samples/$set/$i.txt" && loops=$((loops + 1))
	done
	printf '  %-5s samples with a run of ≥ 30 identical characters: %d/%d\n' "$set" "$loops" "$N_SAMPLES"
done
