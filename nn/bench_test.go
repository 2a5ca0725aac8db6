package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/fused"
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
		fused.AttentionBackwardSet(dqkv, dy, qkv, att, B, T, C, NH)
	}
	if cpu := testutil.ProcessCPU() - c0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
