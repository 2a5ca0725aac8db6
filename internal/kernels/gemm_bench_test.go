package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
)

// benchShape is one product of the benchmark set. layout is "NN", "NT"
// (B stored n×k, llm.c's forward), or "TN" (A stored k×m, weight gradient).
type benchShape struct {
	m, n, k int
	layout  string
}

func (s benchShape) String() string {
	if s.layout == "NN" {
		return fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k)
	}
	return fmt.Sprintf("%dx%dx%d-%s", s.m, s.n, s.k, s.layout)
}

// gemmBenchShapes: squares, the GPT training shapes (M = 2048 rows, N and K
// in {256, 384, 768, 1024, 3072}, as forward NT products, plus NN and TN
// for GPT-2's own four), and GPT-2 decoding (M = 1) with both weight
// layouts.
func gemmBenchShapes() []benchShape {
	var s []benchShape
	for _, n := range []int{256, 512, 1024, 2048} {
		s = append(s, benchShape{n, n, n, "NN"})
	}
	dims := []int{256, 384, 768, 1024, 3072}
	for _, n := range dims {
		for _, k := range dims {
			s = append(s, benchShape{2048, n, k, "NT"})
		}
	}
	for _, nk := range [][2]int{{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}} {
		s = append(s, benchShape{2048, nk[0], nk[1], "NN"}, benchShape{2048, nk[0], nk[1], "TN"})
	}
	for _, nk := range [][2]int{{2304, 768}, {3072, 768}, {768, 3072}, {50257, 768}} {
		s = append(s, benchShape{1, nk[0], nk[1], "NN"}, benchShape{1, nk[0], nk[1], "NT"})
	}
	return s
}

// BenchmarkSgemm reports GFLOP/s (2·M·N·K per call) for every path on
// every shape, and GFLOP per CPU-second of the process. impl=ref runs only
// on problems under 2·10⁸ flops (it is a naive triple loop); impl=best is
// the public Sgemm.
func BenchmarkSgemm(b *testing.B) {
	type impl struct {
		name string
		run  func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, bb []float32, ldb int, beta float32, c []float32, ldc int)
	}
	impls := []impl{{"ref", sgemmRef}}
	for _, p := range allPaths() {
		if p.availableOnCPU {
			im := p.gemm
			impls = append(impls, impl{p.name, func(tA, tB bool, m, n, k int, al float32, a []float32, lda int, bb []float32, ldb int, be float32, c []float32, ldc int) {
				sgemmWith(im, tA, tB, m, n, k, al, a, lda, bb, ldb, be, c, ldc)
			}})
		}
	}
	impls = append(impls, impl{"best", Sgemm})
	r := rand.New(rand.NewPCG(1, 1))
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			for _, s := range gemmBenchShapes() {
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				if im.name == "ref" && flops > 2e8 {
					continue
				}
				b.Run(s.String(), func(b *testing.B) {
					tA, tB := s.layout == "TN", s.layout == "NT"
					a := randSlice(r, s.m*s.k, -1, 1)
					bb := randSlice(r, s.k*s.n, -1, 1)
					c := make([]float32, s.m*s.n)
					lda, ldb := s.k, s.n
					if tA {
						lda = s.m
					}
					if tB {
						ldb = s.k
					}
					// One untimed call: first-touch page faults on C and the
					// pooled buffers are not what a training loop sees.
					im.run(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
					b.ResetTimer()
					cpu0 := testutil.ProcessCPU()
					for b.Loop() {
						im.run(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpu := testutil.ProcessCPU() - cpu0; cpu > 0 {
						// Steadier than wall time on a busy machine, but only
						// comparable between single-threaded runs.
						b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/CPU-s")
					}
				})
			}
		})
	}
}
