#!/usr/bin/env bash
# ab-builds.sh — is a change slower? Two builds of the module, measured
# interleaved on the same benchmarks, with the pair median of new/old.
#
# A shared virtual machine's speed drifts by several percent within minutes,
# so two numbers taken a minute apart cannot show a 2% difference. This
# script builds the benchmarks of two revisions, then runs them in rounds:
# in each round every benchmark runs once for each build, the order of the
# two alternating from round to round, and the ratio new/old of that round
# is kept. The verdict is the median of those per-round ratios (the pair
# median), beside the median of each side and the number of rounds in
# which the new build was faster. A speed is "higher is better"
# (tokens/s, GFLOP/s, MB/s); a time is "lower is better" and its ratio is
# printed as old/new, so above 1 always means the new build is faster.
#
# usage: scripts/ab-builds.sh [-r ROUNDS] [-b REGEX] OLD NEW
#   OLD, NEW   git revisions (a commit, a branch, HEAD, or WORKTREE for the
#              working tree as it is)
#   -r N       rounds (default 5)
#   -b REGEX   run only the benchmarks whose label matches (grep -E)
# needs: ../shared beside the module (PTB and tiny Shakespeare), a quiet
# machine (the script prints the load before and after).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=5
only=.
while getopts "r:b:" o; do
	case $o in
	r) rounds=$OPTARG ;;
	b) only=$OPTARG ;;
	*) sed -n '2,24p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { sed -n '2,24p' "$0" >&2; exit 2; }
shared=${AUTOREG_SHARED:-$(dirname "$root")/shared}
shakes=$shared/data/tinyshakespeare/input.txt
[ -f "$shakes" ] || { echo "ab-builds: $shakes not found (set AUTOREG_SHARED)" >&2; exit 1; }

work=$(mktemp -d)
trap 'cd "$root"; for s in old new; do git worktree remove --force "$work/src-$s" 2>/dev/null || true; done; rm -rf "$work"' EXIT

# build SIDE REV: test binaries and the CLI of revision REV into $work/SIDE.
build() {
	local side=$1 rev=$2 src
	if [ "$rev" = WORKTREE ]; then
		src=$root
	else
		src=$work/src-$side
		git worktree add -q --detach "$src" "$rev"
	fi
	mkdir -p "$work/$side"
	echo "$src" > "$work/$side/src"
	(
		cd "$src"
		for p in gpt rnn internal/kernels decode ngram; do
			go test -c -o "$work/$side/$(basename $p).test" ./$p
		done
		go build -o "$work/$side/autoreg" ./cmd/autoreg
		git rev-parse --short HEAD > "$work/$side/rev" 2>/dev/null || echo "$rev" > "$work/$side/rev"
	)
}
echo "building OLD=$1 and NEW=$2 ..." >&2
build old "$1"
build new "$2"

# The benchmarks: label | kind | command words. kind "bench:UNIT:up|down"
# takes the value before UNIT on the benchmark's output line; kind
# "time:down" times the whole command (seconds of wall clock).
specs=(
	"gpt-train|bench:tokens/s:up|gpt.test -test.bench ^BenchmarkTrainStep$ -test.benchtime 10x"
	"gpt-generate|bench:tokens/s:up|gpt.test -test.bench ^BenchmarkGenerate$ -test.benchtime 5x"
	"lstm-train|bench:tokens/s:up|rnn.test -test.bench ^BenchmarkTrainLSTM$ -test.benchtime 10x"
	"gemm-2048x768x3072|bench:GFLOP/s:up|kernels.test -test.bench ^BenchmarkSgemm$/impl=best/2048x768x3072$ -test.benchtime 10x"
	"gemm-1x768x3072|bench:GFLOP/s:up|kernels.test -test.bench ^BenchmarkSgemm$/impl=best/1x768x3072-NT$ -test.benchtime 2000x"
	"sampler-chain|bench:ns/token:down|decode.test -test.bench ^BenchmarkChainFullLlama$ -test.benchtime 2000x"
	"ngram-score|bench:tokens/s:up|ngram.test -test.bench ^BenchmarkScorePTB5$ -test.benchtime 3x"
	"compress-ngram|time:down|autoreg compress --adaptive-arch ngram --force --out $work/out.arz $shakes"
	"compress-mix|time:down|autoreg compress --adaptive-arch mix --force --out $work/out.arz $shakes"
	"compress-lstm|time:down|autoreg compress --adaptive-arch lstm --force --out $work/out.arz $shakes"
	"compress-gpt|time:down|autoreg compress --adaptive-arch gpt --force --out $work/out.arz $shakes"
)

# run SIDE SPEC → one number on stdout.
run() {
	local side=$1 spec=$2 kind cmd bin unit
	kind=$(cut -d'|' -f2 <<<"$spec")
	cmd=$(cut -d'|' -f3 <<<"$spec")
	bin=${cmd%% *}
	case $kind in
	bench:*)
		unit=$(cut -d: -f2 <<<"$kind")
		local pkg=${bin%.test}
		[ "$pkg" = kernels ] && pkg=internal/kernels
		# A test binary runs in its package's directory, as go test runs it.
		(cd "$(cat "$work/$side/src")/$pkg" && GOMAXPROCS=2 AUTOREG_SHARED=$shared "$work/$side/$bin" -test.run '^$' ${cmd#* } 2>&1) |
			awk -v u="$unit" '/^Benchmark/ { for (i = 2; i < NF; i++) if ($(i+1) == u) { print $i; exit } }'
		;;
	time:*)
		local t0 t1
		t0=$(date +%s.%N)
		"$work/$side/$bin" ${cmd#* } >/dev/null 2>&1
		t1=$(date +%s.%N)
		awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
		;;
	esac
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(go version | cut -d' ' -f3-)"
echo "OLD $(cat "$work/old/rev")  NEW $(cat "$work/new/rev")  rounds $rounds  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	echo "round $r/$rounds ..." >&2
	for spec in "${specs[@]}"; do
		label=${spec%%|*}
		grep -qE "$only" <<<"$label" || continue
		if [ $((r % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
		for side in $order; do
			v=$(run "$side" "$spec")
			echo "$label $side $r ${v:-NaN}" >> "$work/results"
		done
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$work/results" "${specs[@]}" <<'EOF'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
up = {s.split('|')[0]: s.split('|')[1].endswith(':up') for s in sys.argv[2:]}
print(f"{'benchmark':20} {'old (median)':>14} {'new (median)':>14} {'pair median':>12} {'new faster':>11}")
for label in dict.fromkeys(r[0] for r in rows):
    v = {}
    for l, side, r, x in rows:
        if l == label:
            v.setdefault(int(r), {})[side] = float(x)
    pairs = [(d['old'], d['new']) for d in v.values() if 'old' in d and 'new' in d]
    if not pairs:
        continue
    ratios = [n / o if up[label] else o / n for o, n in pairs]
    unit = "" if up[label] else " (s)" if label.startswith("compress") else ""
    print(f"{label:20} {st.median(o for o, _ in pairs):>14.4g} {st.median(n for _, n in pairs):>14.4g} "
          f"{st.median(ratios):>12.3f} {sum(r > 1 for r in ratios):>5}/{len(ratios)}")
print("pair median: per-round new/old for speeds, old/new for times; above 1 = the new build is faster")
EOF
