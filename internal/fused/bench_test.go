package fused_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/autoreg/autoreg/internal/fused"
)

// BenchmarkLinearPadded: the GPT benchmark's MLP products (N = 2048 rows,
// 256 and 1024 wide) with the 1024-wide side's rows 4 KiB apart (ld=1024)
// or padded (PaddedStride): the output projection's forward and weight
// gradient reading that side, and the first layer's forward writing it.
func BenchmarkLinearPadded(b *testing.B) {
	const N, C, OC = 2048, 1024, 256
	rng := rand.New(rand.NewPCG(3, 4))
	w, dout, small := randSlice(rng, OC*C, 1), randSlice(rng, N*OC, 1), randSlice(rng, N*OC, 1)
	out, dw := make([]float32, N*OC), make([]float32, OC*C)
	for _, ld := range []int{C, fused.PaddedStride(C)} {
		wide := randSlice(rng, N*ld, 1)
		for _, c := range []struct {
			name string
			run  func()
		}{
			{"read-forward", func() { fused.LinearForwardStrided(out, wide, w, nil, N, C, OC, ld, OC) }},
			{"read-dweight", func() { fused.LinearBackwardSetStrided(nil, dw, nil, dout, wide, w, N, C, OC, ld, OC) }},
			{"write-forward", func() { fused.LinearForwardStrided(wide, small, w, nil, N, OC, C, OC, ld) }},
		} {
			b.Run(c.name+"/ld="+strconv.Itoa(ld), func(b *testing.B) {
				for b.Loop() {
					c.run()
				}
				b.ReportMetric(2*N*C*OC*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
			})
		}
	}
}
