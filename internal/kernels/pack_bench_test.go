package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPack measures the packing routines (elements per ns).
func BenchmarkPack(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const m, k = 960, 256
	a := randSlice(r, m*k, -1, 1)
	for _, mr := range []int{6, 12, 32} {
		b.Run("transposed/mr="+string(rune('0'+mr/10))+string(rune('0'+mr%10)), func(b *testing.B) {
			dst := make([]float32, m*k)
			for b.Loop() {
				for i := 0; i < m; i += mr {
					packTransposed(dst[i*k:], mr, a[i*k:], k, mr, k)
				}
			}
			b.ReportMetric(float64(m*k)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
		})
	}
}

// BenchmarkPackTN measures packing a transposed A (k×m storage), the
// weight-gradient layout.
func BenchmarkPackTN(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const m, k = 768, 256
	g := &gemmJob{im: gemmAVX512, transA: true, m: m, k: k, a: randSlice(r, m*k, -1, 1), lda: m, kb: kblock{kcur: k}}
	ap := make([]float32, (m+11)/12*12*k)
	for b.Loop() {
		g.packA(&g.kb, ap, 0, m)
	}
	b.ReportMetric(float64(m*k)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "elem/ns")
}
