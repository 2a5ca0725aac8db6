#!/usr/bin/env bash
# bench-decode.sh: the sampler chain per token at GPT-2's vocabulary
# (50,257 tokens) on one core; the target is ≤ 0.5 ms per token.
#
#   scripts/bench-decode.sh [-r REPS] [-b BENCH_REGEX]
#
#   -r  repetitions; medians are reported (default 5)
#   -b  benchmark regex (default: Chain)
#
# Two numbers per benchmark: wall-clock ns/token and cpu-ns/token, the CPU
# time of the benchmark's thread (RUSAGE_THREAD), which stays meaningful when
# other processes compete for the cores. On a quiet machine they agree.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=5
bench='Chain'
while [ $# -gt 0 ]; do
	case "$1" in
	-r) reps=$2; shift 2 ;;
	-b) bench=$2; shift 2 ;;
	*) echo "usage: $0 [-r REPS] [-b BENCH_REGEX]" >&2; exit 2 ;;
	esac
done

echo "# $(go version); $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# go test ./decode -run '^\$' -bench '$bench' -cpu 1 -count $reps -benchtime 2000x"
go test ./decode -run '^$' -bench "$bench" -cpu 1 -count "$reps" -benchtime 2000x |
	awk '
	/^Benchmark/ {
		name = $1
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "ns/token") wall[name] = wall[name] " " $i
			if ($(i+1) == "cpu-ns/token") cpu[name] = cpu[name] " " $i
		}
		if (!(name in seen)) { seen[name] = 1; order[++n] = name }
	}
	function median(s,   a, k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		printf "%-40s %14s %14s\n", "benchmark", "µs/token wall", "µs/token cpu"
		for (i = 1; i <= n; i++) {
			b = order[i]
			printf "%-40s %14.1f %14.1f\n", b, median(wall[b]) / 1000, (b in cpu) ? median(cpu[b]) / 1000 : 0
		}
	}'
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
