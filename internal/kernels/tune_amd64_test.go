//go:build !noasm

package kernels

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autoreg/autoreg/internal/testutil"
)

// TestTune is a tuning aid, not a test: with KERNELS_TUNE="m,n,k,layout"
// it times blocking variants and prints the best-of-N GFLOP/s of each
// (best-of, not median: on a shared machine the minimum time is the
// uncontended speed).
func TestTune(t *testing.T) {
	spec := os.Getenv("KERNELS_TUNE")
	if spec == "" {
		t.Skip("set KERNELS_TUNE=m,n,k,layout")
	}
	f := strings.Split(spec, ",")
	m, _ := strconv.Atoi(f[0])
	n, _ := strconv.Atoi(f[1])
	k, _ := strconv.Atoi(f[2])
	tA, tB := f[3] == "TN", f[3] == "NT"
	r := rand.New(rand.NewPCG(1, 1))
	a, b, c := randSlice(r, m*k, -1, 1), randSlice(r, k*n, -1, 1), make([]float32, m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	kernels := map[string]*gemmImpl{
		"12x32": {mr: 12, nr: 32, kernel: asmKernel(12, 32, kernel12x32AVX512)},
		"12x32d": {mr: 12, nr: 32, kernel: asmKernel(12, 32, kernel12x32AVX512),
			kernelRows: asmKernelRows(12, 32, kernel12x32RowsAVX512)},
		"6x16":  {mr: 6, nr: 16, kernel: asmKernel(6, 16, kernel6x16AVX2)},
		"6x16d": {mr: 6, nr: 16, kernel: asmKernel(6, 16, kernel6x16AVX2), kernelRows: asmKernelRows(6, 16, kernel6x16RowsAVX2)},
	}
	for _, v := range strings.Fields(os.Getenv("KERNELS_VARIANTS")) {
		// kernel:kc:mc:nc
		p := strings.Split(v, ":")
		var im gemmImpl
		if p[0] == "best" {
			im = *bestGemm()
			p = []string{"best", fmt.Sprint(im.kc), fmt.Sprint(im.mc), fmt.Sprint(im.nc)}
		} else {
			im = *kernels[p[0]]
		}
		im.kc, _ = strconv.Atoi(p[1])
		im.mc, _ = strconv.Atoi(p[2])
		im.nc, _ = strconv.Atoi(p[3])
		if p[0] != "best" {
			im.gemvN, im.gemvT = gemvNGeneric, gemvTGeneric
		}
		best := 0.0
		var cpu []float64
		runtime.LockOSThread()
		sgemmWith(&im, tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
		fl := 2 * float64(m) * float64(n) * float64(k) / 1e9
		for range 9 {
			t0, c0 := time.Now(), testutil.ThreadCPU()
			for range 5 {
				sgemmWith(&im, tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
			}
			best = max(best, 5*fl/time.Since(t0).Seconds())
			cpu = append(cpu, 5*fl/(testutil.ThreadCPU()-c0).Seconds())
		}
		runtime.UnlockOSThread()
		slices.Sort(cpu)
		bestCPU := cpu[len(cpu)/2]
		fmt.Printf("%-22s %7.1f GFLOP/s wall, %7.1f per thread-CPU-second (median)\n", v, best, bestCPU)
	}
}
