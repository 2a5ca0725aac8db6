#!/usr/bin/env bash
# bench-ngram.sh: the n-gram figures next to KenLM's targets on PTB
# (../shared/data, see its README).
#
#   scripts/bench-ngram.sh            # 3 runs of each measurement
#   RUNS=5 scripts/bench-ngram.sh
#
# Measures, with GOMAXPROCS=1 and again with 2:
#   - estimation of the PTB 5-gram as a whole process (read + tokenize PTB
#     train, count, estimate): CPU seconds and peak RSS from /usr/bin/time -v;
#   - loading the 5-gram payload and scoring PTB test KenLM-style: tokens per
#     second (wall and CPU), heap held by the loaded model, peak RSS;
#   - the go test benchmarks (estimation alone, scoring, loading).
# The machine is shared: figures are noisy; compare medians of several runs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x /usr/bin/time ]; then
	echo "bench-ngram: /usr/bin/time is needed (apt-get install -y time)" >&2
	exit 1
fi
go test -c -o "$tmp/ngram.test" ./ngram
go build -o "$tmp/ngbench" ./ngram/internal/ngbench

# field NAME FILE: a value from /usr/bin/time -v output
field() { grep -F "$1" "$2" | head -1 | awk -F': ' '{print $2}'; }

echo "== autoreg n-gram vs KenLM, $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "KenLM on this machine kind: lmplz -o 5 on PTB train ≈ 1.4 CPU-s; probing query 4-7 M tokens/s on one core."
echo "Targets: estimation ≤ 1.4 CPU-s and ≤ 300 MB peak; scoring ≥ 5 M tokens/s on one core; loaded 5-gram ≤ 64 MB."
echo
for procs in 1 2; do
	echo "-- GOMAXPROCS=$procs: estimate the PTB 5-gram (whole process: read, tokenize, count, estimate, write payload)"
	for r in $(seq "$RUNS"); do
		GOMAXPROCS=$procs /usr/bin/time -v "$tmp/ngbench" -estimate -out "$tmp/ptb5.ngram" \
			>"$tmp/out.txt" 2>"$tmp/time.txt"
		user=$(field "User time" "$tmp/time.txt")
		sys=$(field "System time" "$tmp/time.txt")
		rss=$(field "Maximum resident set size" "$tmp/time.txt")
		printf '  run %d: %.2f CPU-s (user %s + sys %s), peak RSS %.0f MB | %s\n' "$r" \
			"$(echo "$user + $sys" | bc)" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)" \
			"$(grep 'estimate: tokenize' "$tmp/out.txt" | sed 's/^estimate: //')"
	done
	echo "-- GOMAXPROCS=$procs: load the payload, score PTB test x20 (KenLM query style)"
	for r in $(seq "$RUNS"); do
		GOMAXPROCS=$procs /usr/bin/time -v "$tmp/ngbench" -query -model "$tmp/ptb5.ngram" \
			>"$tmp/out.txt" 2>"$tmp/time.txt"
		rss=$(field "Maximum resident set size" "$tmp/time.txt")
		printf '  run %d: peak RSS %.0f MB | %s | %s\n' "$r" "$(echo "$rss / 1024" | bc -l)" \
			"$(grep '^query: load' "$tmp/out.txt" | sed 's/^query: //')" \
			"$(grep '^query: [0-9]' "$tmp/out.txt" | sed 's/^query: //')"
	done
	echo
done
echo "-- go test benchmarks (GOMAXPROCS=1)"
GOMAXPROCS=1 "$tmp/ngram.test" -test.run '^$' -test.bench 'EstimatePTB5$|ScorePTB5$|ScorePTB5Interface$|ReadPTB5$|LogProbsPTB5$' \
	-test.benchtime 10x -test.count "$RUNS" | grep -E '^Benchmark'
echo "-- loaded memory (heap held by a 5-gram read from its payload)"
"$tmp/ngram.test" -test.run '^TestLoadedMemoryPTB5$' -test.v | grep 'loaded PTB'
