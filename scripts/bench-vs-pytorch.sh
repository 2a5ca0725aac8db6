#!/usr/bin/env bash
# autoreg against PyTorch 1.13 (Debian's python3-torch) on three rows:
# char GPT training, GPT generation with the KV cache, char LSTM training.
# Same model, same batch, 2 threads each, alternating rounds in one run,
# medians. PyTorch gets its best setup, in its command only: the OpenMP
# build of OpenBLAS through LD_LIBRARY_PATH (Debian's PyTorch is built with
# BLAS_INFO=generic: its matrix products are the system BLAS's sgemm),
# OPENBLAS_CORETYPE=SkylakeX (this environment forces Haswell kernels),
# OPENBLAS_L2_SIZE unset (this environment sets it to 512, which shrinks
# OpenBLAS's blocking), OMP_NUM_THREADS=2 and torch.set_num_threads(2)
# (PyTorch defaults to 1 thread here), flushing of denormals, warm-up
# rounds, and inference mode for generation. PYTORCH_ENV adds variables to
# that command (e.g. PYTORCH_ENV="ATEN_CPU_CAPABILITY=avx512" to try ATen's
# AVX-512 elementwise kernels; it defaults to AVX2). A ratio is printed
# only if PyTorch reaches at least 80% of its reference figures, measured
# with this setup on a quiet machine with both cores at 4.24 GHz
# (otherwise the machine is too busy to compare: under load, OpenMP's
# spinning threads lose whole scheduler slices, and one LSTM step was seen
# to take 19 s instead of ~0.2 s). The table also sets autoreg against the
# reference figures directly ("vs ref") and scaled by the two-core FMA peak
# measured before and after the run over the 543 GFLOP/s at which they
# were taken ("vs scaled"): this virtual machine's clock, and how much its
# two virtual cores share, change from hour to hour.
#
# usage: scripts/bench-vs-pytorch.sh [rounds]     (default 3)
# needs: apt-get install -y python3-torch libopenblas0-openmp
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
blasdir=/usr/lib/x86_64-linux-gnu/openblas-openmp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3-), GOMAXPROCS=2"
go test -c -o "$work/gpt.test" ./gpt
go test -c -o "$work/kernels.test" ./internal/kernels
peak() { # one core's AVX-512 FMA throughput right now (clock and sharing included)
	"$work/kernels.test" -test.run '^$' -test.bench '^BenchmarkFMAPeak$' -test.cpu 1 -test.benchtime 0.5s 2>/dev/null |
		awk '/GFLOP/ { for (i = 1; i < NF; i++) if ($(i+1) == "GFLOP/s") print $i }'
}
peakall() { # both cores' FMA throughput at once (virtual cores may share physical ones)
	GOMAXPROCS=2 "$work/kernels.test" -test.run '^$' -test.bench '^BenchmarkFMAPeakAll$' -test.benchtime 0.5s 2>/dev/null |
		awk '/GFLOP/ { for (i = 1; i < NF; i++) if ($(i+1) == "GFLOP/s") print $i }'
}
all0=$(peakall)
echo "one core's FMA peak before: $(peak) GFLOP/s (a quiet core at 4.24 GHz: 271); both cores at once: $all0 (at 4.24 GHz: 543)"
have_rnn=0
if [ -d rnn ] && grep -q "BenchmarkTrainLSTM" rnn/*_test.go 2>/dev/null; then
	go test -c -o "$work/rnn.test" ./rnn
	have_rnn=1
fi

ours() { # bench name → tokens/s
	GOMAXPROCS=2 "$1" -test.run '^$' -test.bench "^$2\$" -test.benchtime "$3" 2>&1 | tee -a "$work/go.log" |
		awk '/tokens\/s/ { for (i = 1; i < NF; i++) if ($(i+1) == "tokens/s") print $i }'
}
# pyenv runs /usr/bin/python3 in PyTorch's best setup (see the top).
pyenv() {
	# shellcheck disable=SC2086
	env -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH=$blasdir OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=2 ${PYTORCH_ENV:-} /usr/bin/python3 "$@"
}
theirs() {
	pyenv scripts/bench_pytorch.py "$1" --reps "$2" |
		tee -a "$work/py.log" | python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if "tokens_per_sec" in d: print(d["tokens_per_sec"])'
}

for r in $(seq "$rounds"); do
	echo "round $r/$rounds ..." >&2
	ours "$work/gpt.test" BenchmarkTrainStep 10x >> "$work/go.gpt-train"
	theirs gpt-train 10 >> "$work/py.gpt-train"
	ours "$work/gpt.test" BenchmarkGenerate 5x >> "$work/go.gpt-generate"
	theirs gpt-generate 3 >> "$work/py.gpt-generate"
	if [ $have_rnn = 1 ]; then ours "$work/rnn.test" BenchmarkTrainLSTM 10x >> "$work/go.lstm-train"; fi
	theirs lstm-train 10 >> "$work/py.lstm-train"
done

all1=$(peakall)
echo "one core's FMA peak after: $(peak) GFLOP/s; both cores at once: $all1; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
pyenv -c '
import torch, re, os
torch.set_num_threads(2)
cfg = torch.__config__.show()
print("pytorch:", torch.__version__, "| threads", torch.get_num_threads(), "|", re.search(r"BLAS_INFO=[^,]+", cfg).group(0),
      "|", [l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l][:1],
      "|", re.search(r"CPU capability usage: \S+", cfg).group(0), "| mkldnn", torch.backends.mkldnn.is_available(),
      "| OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s OMP_NUM_THREADS=%s" % tuple(os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")))'
allocs=$(awk '/BenchmarkGenerate/ { for (i = 1; i < NF; i++) if ($(i+1) == "allocs/op") print $i }' "$work/go.log" | sort -n | tail -1)
echo "generation: ${allocs:-?} heap allocations per run of prompt + 256 tokens (the prompt and window re-encodings go through Sgemm's pooled buffers; an appended token alone allocates nothing: go test -run GenerationAllocs ./gpt)"
echo
python3 - "$work" "$all0" "$all1" <<'PY'
import statistics, sys, os
work = sys.argv[1]
# The reference figures were taken with both cores at 4.24 GHz (2 × 271.5
# GFLOP/s of FMA); scaled to the two-core peak measured around this run,
# they say what that PyTorch would do on this machine now.
try:
    scale = (float(sys.argv[2]) + float(sys.argv[3])) / 2 / 543.0
except ValueError:
    scale = None
rows = [("gpt-train", "char GPT training (4L 4H 256w, T128, B16)", 14000, 1.3),
        ("gpt-generate", "GPT generation, KV cache (B1, prompt 16, 256 new)", 2000, 3.0),
        ("lstm-train", "char LSTM training (1L 512h, E64, T128, B32)", 22800, 1.5)]
def med(name):
    p = os.path.join(work, name)
    if not os.path.exists(p): return None
    v = [float(x) for x in open(p).read().split()]
    return statistics.median(v) if v else None
print(f"{'benchmark':52} {'autoreg tok/s':>14} {'PyTorch tok/s':>14} {'ratio':>7} {'target':>7} {'vs ref':>9} {'vs scaled':>10}")
for key, label, ref, target in rows:
    g, t = med("go." + key), med("py." + key)
    gs = f"{g:,.0f}" if g else "n/a"
    ts = f"{t:,.0f}" if t else "n/a"
    if g and t and t >= 0.8 * ref:
        ratio = f"{g / t:.2f}x"
    elif t and t < 0.8 * ref:
        ratio = "refused"
    else:
        ratio = "-"
    vs = f"{g / ref:.2f}x" if g else "-"
    vsc = f"{g / (ref * scale):.2f}x" if g and scale else "-"
    print(f"{label:52} {gs:>14} {ts:>14} {ratio:>7} {target:>6.1f}x {vs:>9} {vsc:>10}")
    if t and t < 0.8 * ref:
        print(f"  (PyTorch ran at {t:,.0f} tok/s, more than 20% below the reference {ref:,}: machine busy? no ratio)")
if scale:
    print(f"vs ref: autoreg over PyTorch's reference figure; vs scaled: over that figure times {scale:.2f},")
    print("the two-core FMA peak measured around this run over the 543 GFLOP/s the figures were taken at")
PY
