#!/usr/bin/env bash
# Load test of `autoreg serve` on loopback: the char GPT of the benchmarks
# (4 layers, 4 heads, width 256, context 128, tiny Shakespeare's 65
# characters), --parallel 16, measured by server/internal/loadgen:
#   1. one streaming client alone (6 requests): its generated tokens/s;
#   2. 16 streaming clients at once (4 requests each): aggregate tokens/s
#      (target ≥ 4× phase 1), p99 time to first token (target ≤ 50 ms),
#      errors (target 0);
#   3. a burst of 10× the queue's capacity: the excess gets 503 with
#      Retry-After (target p99 ≤ 50 ms);
# then the server's goroutines must return to their count before the load,
# and its peak resident memory is reported. Every request has a 32-character
# prompt and max_tokens 96 (end-of-sequence ignored, so each generates 96
# tokens); tokens are counted by the server's metrics. The clients run on
# the same two cores as the server, and so does anything else running:
# the script prints the machine's load before and after.
#
# usage: scripts/load-test.sh [MODEL.arm]
#        (without a model, trains the benchmark's shape on tiny Shakespeare
#         for STEPS steps, default 200, at most 5 minutes: the load test
#         needs its shape, not its quality)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
shared=${AUTOREG_SHARED:-../shared}
text=$shared/data/tinyshakespeare/input.txt

machine() {
	echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "busiest processes (%CPU, command):"
	ps -eo pcpu=,comm= --sort=-pcpu | head -6 | sed 's/^/  /'
}

go build -o "$work/autoreg" ./cmd/autoreg
go build -o "$work/loadgen" ./server/internal/loadgen
model=${1:-}
if [ -z "$model" ]; then
	model=$work/char-gpt.arm
	echo "training the benchmark's char GPT shape for ${STEPS:-200} steps..."
	"$work/autoreg" train --arch gpt --tokenizer char --layers 4 --dim 256 --heads 4 --context 128 \
		--batch 16 --lr 2e-3 --steps "${STEPS:-200}" --max-time 5m --data "$text" --out "$model" >/dev/null 2>&1
fi
"$work/autoreg" info --model "$model" | sed -n '1,6p'
machine
echo

"$work/autoreg" serve --model "char=$model" --addr 127.0.0.1:0 --parallel 16 --queue 16 2>"$work/serve.log" &
pid=$!
url=
for _ in $(seq 100); do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; echo "the server did not start" >&2; exit 1; }

status=0
timeout 10m "$work/loadgen" --url "$url" --model char --text "$text" --clients 16 --requests 4 --single 6 \
	--prompt-chars 32 --max-tokens 96 --queue 16 --pid "$pid" || status=$?
echo
machine
kill -TERM "$pid"
wait "$pid" || true
pid=
exit "$status"
