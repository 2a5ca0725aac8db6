package nn

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// BenchmarkAttention: forward and backward at the GPT benchmark's shape
// (B=16, T=128, C=256, 4 heads).
func BenchmarkAttention(b *testing.B) {
	B, T, C, NH := 16, 128, 256, 4
	rng := rand.New(rand.NewPCG(1, 2))
	qkv, dy := randSlice(rng, B*T*3*C, 1), randSlice(rng, B*T*C, 1)
	out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
	dqkv := make([]float32, len(qkv))
	b.ResetTimer()
	c0 := testutil.ProcessCPU()
	for range b.N {
		AttentionForward(out, att, qkv, B, T, C, NH)
		AttentionBackwardSet(dqkv, dy, qkv, att, B, T, C, NH)
	}
	b.ReportMetric(float64((testutil.ProcessCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkLinearPadded: the GPT benchmark's MLP products (N = 2048 rows,
// 256 and 1024 wide) with the 1024-wide side's rows 4 KiB apart (ld=1024)
// or padded (PaddedStride): the output projection's forward and weight
// gradient reading that side, and the first layer's forward writing it.
func BenchmarkLinearPadded(b *testing.B) {
	const N, C, OC = 2048, 1024, 256
	rng := rand.New(rand.NewPCG(3, 4))
	w, dout, small := randSlice(rng, OC*C, 1), randSlice(rng, N*OC, 1), randSlice(rng, N*OC, 1)
	out, dw := make([]float32, N*OC), make([]float32, OC*C)
	for _, ld := range []int{C, PaddedStride(C)} {
		wide := randSlice(rng, N*ld, 1)
		for _, c := range []struct {
			name string
			run  func()
		}{
			{"read-forward", func() { LinearForwardStrided(out, wide, w, nil, N, C, OC, ld, OC) }},
			{"read-dweight", func() { LinearBackwardSetStrided(nil, dw, nil, dout, wide, w, N, C, OC, ld, OC) }},
			{"write-forward", func() { LinearForwardStrided(wide, small, w, nil, N, OC, C, OC, ld) }},
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
