#!/usr/bin/env bash
# bench-gemm.sh: autoreg's Sgemm against numpy/OpenBLAS on the same shapes,
# same thread count, in one run, interleaved so machine noise hits both.
#
#   scripts/bench-gemm.sh [-t THREADS] [-r REPS] [-s SHAPE_REGEX] [--avx2] [--cputime] [--force]
#
#   -t  threads on both sides (GOMAXPROCS / OPENBLAS_NUM_THREADS / OMP_NUM_THREADS); default: nproc
#   -r  repetitions; medians are reported (default 5)
#   -s  regex over shape names (MxNxK[-NT|-TN]); default: all
#   --avx2   compare our AVX2 path with OpenBLAS's Haswell (AVX2) kernels
#   --cputime  single thread, GFLOP per CPU-second of each process instead of
#            wall-clock GFLOP/s: much steadier on a shared machine (time spent
#            descheduled does not count), though co-runners still cost cache
#   --force  print ratios even when OpenBLAS runs far below its known speed here
#
# Needs: Go, /usr/bin/python3 with numpy on OpenBLAS
# (apt-get install -y python3-numpy libopenblas0-openmp python3-threadpoolctl).
# OPENBLAS_L2_SIZE is unset and OPENBLAS_CORETYPE set to SkylakeX (Haswell
# with --avx2) here only: this environment forces slow kernels otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

threads=$(nproc --all)
reps=5
shapes='.'
impl=best
coretype=SkylakeX
force=0
cputime=0
while [ $# -gt 0 ]; do
	case "$1" in
	-t) threads=$2; shift 2 ;;
	-r) reps=$2; shift 2 ;;
	-s) shapes=$2; shift 2 ;;
	--avx2) impl=avx2; coretype=Haswell; shift ;;
	--force) force=1; shift ;;
	--cputime) cputime=1; shift ;;
	*) echo "usage: $0 [-t THREADS] [-r REPS] [-s SHAPE_REGEX] [--avx2] [--cputime] [--force]" >&2; exit 2 ;;
	esac
done

if [ "$cputime" = 1 ]; then
	threads=1 # CPU time is only comparable single-threaded (OpenMP spins)
fi
metric="GFLOP/s"
[ "$cputime" = 1 ] && metric="GFLOP/CPU-s"

py=/usr/bin/python3
if ! $py -c 'import numpy' 2>/dev/null; then
	echo "bench-gemm: $py has no numpy: apt-get install -y python3-numpy libopenblas0-openmp python3-threadpoolctl" >&2
	exit 1
fi

unset OPENBLAS_L2_SIZE
export OPENBLAS_CORETYPE=$coretype
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads GOMAXPROCS=$threads

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/kernels.test" ./internal/kernels/

# numpy side: reads shape names on stdin, prints "name GFLOP/s" lines.
cat >"$tmp/np_bench.py" <<'PY'
import sys, time
import numpy as np
rng = np.random.default_rng(1)
clock = time.process_time if sys.argv[1:] == ["cputime"] else time.perf_counter
for name in sys.stdin.read().split():
    dims, _, layout = name.partition("-")
    m, n, k = map(int, dims.split("x"))
    layout = layout or "NN"
    f32 = np.float32
    if m == 1:
        # M = 1 is a matrix-vector product: a 1-D operand makes numpy call sgemv.
        x = rng.random(k, dtype=f32)
        if layout == "NT":
            w = rng.random((n, k), dtype=f32)
            op = lambda: w @ x
        else:
            w = rng.random((k, n), dtype=f32)
            op = lambda: x @ w
    else:
        b = rng.random((n, k) if layout == "NT" else (k, n), dtype=f32)
        a = rng.random((k, m) if layout == "TN" else (m, k), dtype=f32)
        A = a.T if layout == "TN" else a
        B = b.T if layout == "NT" else b
        op = lambda: A @ B
    op()
    # Like go test -benchtime 300ms: repeat until 0.3 s, report the mean.
    t0, w0 = clock(), time.perf_counter(); it = 0
    while True:
        op(); it += 1
        dt = clock() - t0
        if time.perf_counter() - w0 > 3:  # a starved process: stop anyway
            break
        if dt > 0.3 and it >= 2:
            break
    print(name, 2.0 * m * n * k * it / dt / 1e9)
PY

echo "== setup"
echo "go:        $(go version), GOMAXPROCS=$GOMAXPROCS, Sgemm path impl=$impl"
echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc --all) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "blas link: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
echo "env:       OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>} OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OMP_NUM_THREADS=$OMP_NUM_THREADS"
$py - <<'PY'
import numpy as np
print("numpy:    ", np.__version__)
try:
    from threadpoolctl import threadpool_info
    import numpy.linalg  # loads the BLAS
    for i in threadpool_info():
        if i.get("user_api") == "blas":
            print("openblas:  %s %s, core %s, threading %s, %d threads (%s)" % (
                i.get("internal_api"), i.get("version"), i.get("architecture"),
                i.get("threading_layer"), i.get("num_threads"), i.get("filepath")))
except ImportError:
    print("openblas:  (threadpoolctl missing; numpy.show_config follows)")
    np.show_config()
PY

# Shape names, from one quick pass of the Go benchmark (which owns the list).
benchname() { awk '{print $1}' | sed -E "s|^BenchmarkSgemm/impl=$impl/||; s/-[0-9]+$//"; }
names=$("$tmp/kernels.test" -test.run '^$' -test.bench "Sgemm/impl=$impl/" -test.benchtime 1x 2>/dev/null |
	grep '^BenchmarkSgemm/' | benchname | grep -E "$shapes" || true)
if [ -z "$names" ]; then
	echo "bench-gemm: no shapes match $shapes" >&2
	exit 1
fi

# Interleaved shape by shape (ours, then numpy, same shape), so that a
# change in machine load hits both sides of a ratio alike.
for r in $(seq "$reps"); do
	for name in $names; do
		"$tmp/kernels.test" -test.run '^$' -test.bench "Sgemm/impl=$impl/$(echo "$name" | sed 's/[.]/\\./g')\$" -test.benchtime 300ms 2>/dev/null |
			awk -v m="$metric" '/^BenchmarkSgemm\// {for (i = 1; i <= NF; i++) if ($i == m) print $1, $(i-1)}' |
			sed -E "s|^BenchmarkSgemm/impl=$impl/||; s/-[0-9]+ / /" >>"$tmp/go.txt"
		echo "$name" | $py "$tmp/np_bench.py" $([ "$cputime" = 1 ] && echo cputime) >>"$tmp/np.txt"
	done
	echo "   repetition $r/$reps done (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
done

# One core's FMA throughput now: the reference OpenBLAS figures were taken
# with the cores at 4.24 GHz (271.5 GFLOP/s fp32 FMA peak per core); a
# virtual machine's clock varies, so the expected figure is scaled by the
# peak measured now before OpenBLAS is judged weak.
fma=$("$tmp/kernels.test" -test.run '^$' -test.bench 'FMAPeak' -test.count 3 2>/dev/null |
	awk '/^BenchmarkFMAPeak/ {for (i = 1; i <= NF; i++) if ($i == "GFLOP/s") print $(i-1)}' | sort -n | tail -1)
fma=${fma:-271.5}

# Expected OpenBLAS figures on this machine, square 1024, by thread count.
$py - "$tmp/go.txt" "$tmp/np.txt" "$threads" "$force" "$coretype" "$metric" "$fma" <<'PY'
import sys, statistics as st
def load(p):
    d = {}
    for line in open(p):
        k, v = line.split()
        d.setdefault(k, []).append(float(v))
    return d
g, n = load(sys.argv[1]), load(sys.argv[2])
threads, force, core = int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
per_core = 245.0 if core == "SkylakeX" else 130.0   # OpenBLAS at 1024, per thread, quiet machine
fma = float(sys.argv[7])
clock = min(1.0, fma / 271.5)  # the reference figures: 4.24 GHz, 271.5 GFLOP/s per core
expect = per_core * min(threads, 2) * (470.0 / 490.0 if threads >= 2 else 1.0) * clock
names = [k for k in g if k in n]
def spread(v):
    return 100.0 * (max(v) - min(v)) / st.median(v) if len(v) > 1 else 0.0
print()
print("%-22s %10s %6s %10s %6s %7s" % ("shape (MxNxK-layout)", "ours", "±%", "openblas", "±%", "ratio"))
base = [st.median(n[k]) for k in names if k in ("1024x1024x1024",)]
weak = base and base[0] < 0.75 * expect
for k in names:
    gm, nm = st.median(g[k]), st.median(n[k])
    ratio = "%7.2f" % (gm / nm) if (force or not weak) else "    n/a"
    print("%-22s %10.1f %6.0f %10.1f %6.0f %s" % (k, gm, spread(g[k]), nm, spread(n[k]), ratio))
print()
print("%s, medians of %d runs; ±%% is the max−min spread over the median." % (sys.argv[6], len(g[names[0]])))
print("one core's FMA peak now: %.1f GFLOP/s (%.0f%% of the 271.5 the reference figures assume); %d-thread peak %.0f; OpenBLAS expected on 1024³: ~%.0f" % (fma, 100 * fma / 271.5, threads, fma * threads, expect))
if base:
    print("OpenBLAS on 1024³: %.0f GFLOP/s = %.0f%% of the %d-thread peak now" % (base[0], 100 * base[0] / (fma * threads), threads))
if weak:
    msg = "OpenBLAS ran at %.0f GFLOP/s on 1024³, far below the ~%.0f expected with %d thread(s) (noisy machine?)" % (base[0], expect, threads)
    print(("WARNING: " + msg + "; ratios printed anyway (--force)") if force else ("ratios withheld: " + msg + "; rerun when quiet, or --force"))
PY
