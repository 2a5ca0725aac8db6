package nn

import (
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAttention: forward and backward at the GPT benchmark's shape
// (B=16, T=128, C=256, 4 heads).
func BenchmarkAttention(b *testing.B) {
	B, T, C, NH := 16, 128, 256, 4
	rng := rand.New(rand.NewPCG(1, 2))
	qkv, dy := randSlice(rng, B*T*3*C, 1), randSlice(rng, B*T*C, 1)
	out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
	dqkv := make([]float32, len(qkv))
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		AttentionForward(out, att, qkv, B, T, C, NH)
		AttentionBackwardSet(dqkv, dy, qkv, att, B, T, C, NH)
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkLinearPadded: the GPT benchmark's MLP output projection (N =
// 2048 rows of 1024 → 256), forward and backward, with its input and
// input gradient rows 4 KiB apart (ld=1024) or padded (PaddedStride).
func BenchmarkLinearPadded(b *testing.B) {
	const N, C, OC = 2048, 1024, 256
	rng := rand.New(rand.NewPCG(3, 4))
	w, dout := randSlice(rng, OC*C, 1), randSlice(rng, N*OC, 1)
	out, dw := make([]float32, N*OC), make([]float32, OC*C)
	for _, ld := range []int{C, PaddedStride(C)} {
		inp, dx := randSlice(rng, N*ld, 1), make([]float32, N*ld)
		b.Run("ld="+strconv.Itoa(ld), func(b *testing.B) {
			for b.Loop() {
				LinearForwardStrided(out, inp, w, nil, N, C, OC, ld, OC)
				LinearBackwardSetStrided(dx, dw, nil, dout, inp, w, N, C, OC, ld, OC)
			}
			b.ReportMetric(6*N*C*OC*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFLOP/s")
		})
	}
}
