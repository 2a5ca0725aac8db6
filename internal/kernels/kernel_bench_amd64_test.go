//go:build !noasm

package kernels

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// BenchmarkFMAPeak measures one core's AVX-512 FMA throughput right now
// (24 independent FMAs per round on registers only): the clock and any
// sharing of the core included, so the micro-kernels' GFLOP/s can be read
// as a fraction of it (a quiet core at 4.24 GHz: 2 FMA pipes × 16 lanes ×
// 2 flops = 271 GFLOP/s).
func BenchmarkFMAPeak(b *testing.B) {
	if !cpuAVX512 {
		b.Skip("no AVX-512")
	}
	const rounds = 1 << 16
	for b.Loop() {
		fmaPeak(rounds)
	}
	b.ReportMetric(768*rounds*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkFMAPeakAll runs fmaPeak on GOMAXPROCS goroutines at once and
// reports their total: the machine's FMA throughput for a parallel job
// right now. On a virtual machine whose virtual cores share physical cores
// (or a host busy elsewhere) it is less than GOMAXPROCS times
// BenchmarkFMAPeak, and every multi-threaded figure is bounded by it.
func BenchmarkFMAPeakAll(b *testing.B) {
	if !cpuAVX512 {
		b.Skip("no AVX-512")
	}
	const rounds = 1 << 16
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range procs {
		wg.Go(func() {
			for range b.N {
				fmaPeak(rounds)
			}
		})
	}
	wg.Wait()
	b.ReportMetric(768*rounds*float64(procs*b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMicroKernel measures the register-tile kernels alone on
// L1/L2-resident panels: the ceiling for Sgemm on one core.
func BenchmarkMicroKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, k := range []struct {
		name   string
		mr, nr int
		f      func(kc int, a, b, c *float32, ldc int, alpha, beta float32)
		ok     bool
	}{
		{"12x32avx512", 12, 32, kernel12x32AVX512, cpuAVX512},
		{"8x32avx512", 8, 32, kernel8x32AVX512, cpuAVX512},
		{"4x32avx512", 4, 32, kernel4x32AVX512, cpuAVX512},
		{"6x16avx2", 6, 16, kernel6x16AVX2, cpuAVX2},
	} {
		if !k.ok {
			continue
		}
		b.Run(k.name, func(b *testing.B) {
			const kc = 256
			a := randSlice(r, k.mr*kc*8, -1, 1)
			bb := randSlice(r, k.nr*kc, -1, 1)
			c := make([]float32, k.mr*k.nr)
			for b.Loop() {
				for t := range 8 {
					k.f(kc, &a[t*k.mr*kc], &bb[0], &c[0], k.nr, 1, 1)
				}
			}
			b.ReportMetric(2*float64(k.mr*k.nr*kc*8)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
