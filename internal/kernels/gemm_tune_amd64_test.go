//go:build !noasm

package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// BenchmarkGemmBlocking times blockings of the GEMM (micro-kernel and
// cache blocks kc, mc, nc) on one product: the measurement behind the
// blocking constants of gemm_amd64.go. Without settings it times the
// blocking the dispatcher picks on the GPT benchmark's MLP product:
//
//	go test -run '^$' -bench GemmBlocking -count 9 ./internal/kernels
//
// KERNELS_TUNE="m,n,k,layout" (layout NN, NT or TN) sets the product, and
// KERNELS_VARIANTS a space-separated list of blockings "kernel:kc:mc:nc"
// (kernel 12x32, 12x32d, 6x16 or 6x16d, the d forms with the row-panel
// kernel; or "best", the dispatched choice, optionally with its own
// kc:mc:nc), one sub-benchmark each:
//
//	KERNELS_TUNE=2048,3072,768,NT KERNELS_VARIANTS="best 12x32:512:48:3072" \
//	  GOMAXPROCS=1 go test -run '^$' -bench GemmBlocking -count 9 ./internal/kernels
//
// -count repeats the whole list, so the variants interleave; compare their
// medians (benchstat), since a shared machine disturbs single runs. Each
// reports GFLOP/s of wall time and GFLOP per CPU-second of the calling
// thread (Linux), which time spent descheduled does not count; the latter
// describes the whole product only at GOMAXPROCS=1.
func BenchmarkGemmBlocking(b *testing.B) {
	m, n, k, layout := 2048, 1024, 256, "NT"
	if spec := os.Getenv("KERNELS_TUNE"); spec != "" {
		f := strings.Split(spec, ",")
		if len(f) != 4 {
			b.Fatalf("KERNELS_TUNE=%q: want m,n,k,layout", spec)
		}
		var err [3]error
		m, err[0] = strconv.Atoi(f[0])
		n, err[1] = strconv.Atoi(f[1])
		k, err[2] = strconv.Atoi(f[2])
		layout = f[3]
		if err[0] != nil || err[1] != nil || err[2] != nil || (layout != "NN" && layout != "NT" && layout != "TN") {
			b.Fatalf("KERNELS_TUNE=%q: want three sizes and NN, NT or TN", spec)
		}
	}
	tA, tB := layout == "TN", layout == "NT"
	r := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(r, m*k, -1, 1), randSlice(r, k*n, -1, 1), make([]float32, m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	type kernel struct {
		im     gemmImpl
		usable bool // this CPU runs it
	}
	kernels := map[string]kernel{
		"12x32": {gemmImpl{mr: 12, nr: 32, kernel: asmKernel(12, 32, kernel12x32AVX512)}, useAVX512},
		"12x32d": {gemmImpl{mr: 12, nr: 32, kernel: asmKernel(12, 32, kernel12x32AVX512),
			kernelRows: asmKernelRows(12, 32, kernel12x32RowsAVX512)}, useAVX512},
		"6x16":  {gemmImpl{mr: 6, nr: 16, kernel: asmKernel(6, 16, kernel6x16AVX2)}, useAVX2},
		"6x16d": {gemmImpl{mr: 6, nr: 16, kernel: asmKernel(6, 16, kernel6x16AVX2), kernelRows: asmKernelRows(6, 16, kernel6x16RowsAVX2)}, useAVX2},
	}
	variants := strings.Fields(os.Getenv("KERNELS_VARIANTS"))
	if len(variants) == 0 {
		variants = []string{"best"}
	}
	flops := 2 * float64(m) * float64(n) * float64(k)
	for _, v := range variants {
		p := strings.Split(v, ":")
		var im gemmImpl
		if p[0] == "best" {
			im = *bestGemm()
		} else {
			kn, ok := kernels[p[0]]
			if !ok {
				b.Fatalf("KERNELS_VARIANTS: unknown kernel %q in %q (want 12x32, 12x32d, 6x16, 6x16d or best)", p[0], v)
			}
			if !kn.usable {
				b.Logf("%s: this CPU cannot run kernel %s; skipped", v, p[0])
				continue
			}
			im = kn.im
			im.gemvN, im.gemvT = gemvNGeneric, gemvTGeneric
		}
		if len(p) > 1 {
			if len(p) != 4 {
				b.Fatalf("KERNELS_VARIANTS: %q: want kernel:kc:mc:nc", v)
			}
			var err [3]error
			im.kc, err[0] = strconv.Atoi(p[1])
			im.mc, err[1] = strconv.Atoi(p[2])
			im.nc, err[2] = strconv.Atoi(p[3])
			if err[0] != nil || err[1] != nil || err[2] != nil || im.kc < 1 || im.mc < im.mr || im.nc < im.nr {
				b.Fatalf("KERNELS_VARIANTS: %q: kc, mc, nc must be sizes of at least 1, mr and nr", v)
			}
		}
		name := fmt.Sprintf("%dx%dx%d-%s/%s", m, n, k, layout, v)
		if len(p) == 1 {
			name += fmt.Sprintf(":%d:%d:%d", im.kc, im.mc, im.nc)
		}
		b.Run(name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			sgemmWith(&im, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n) // page faults, pools
			b.ResetTimer()
			cpu0 := testutil.ThreadCPU()
			for b.Loop() {
				sgemmWith(&im, tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu := testutil.ThreadCPU() - cpu0; cpu > 0 {
				b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/thread-CPU-s")
			}
		})
	}
}
