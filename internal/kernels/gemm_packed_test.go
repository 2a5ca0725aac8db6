package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSgemmPacked compares SgemmPacked on every path with the exact
// product, over odd shapes, both layouts of each operand, alpha/beta cases
// and padded strides, re-packing into one PackedB (storage reuse).
func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := [][3]int{
		{1, 1, 1}, {3, 7, 17}, {17, 3, 7}, {7, 17, 3}, {32, 2048 / 8, 512 / 4}, {32, 100, 300},
		{20, 65, 33}, {5, 1500, 300}, {63, 65, 129}, {129, 7, 63}, {200, 97, 600}, {1, 300, 70},
		{40, 64, 0}, {0, 10, 10},
	}
	forEachPath(t, func(t *testing.T, p path) {
		var pb PackedB
		for si, s := range shapes {
			for ti := range 4 {
				ab := alphaBeta[(si+ti)%len(alphaBeta)]
				g := newGemmCase(r, ti&1 != 0, ti&2 != 0, s[0], s[1], s[2], ab[0], ab[1], (si+ti)%3*3)
				pb.Pack(g.transB, g.k, g.n, g.b, g.ldb)
				if pb.K() != g.k || pb.N() != g.n {
					t.Fatalf("packed %d×%d, want %d×%d", pb.K(), pb.N(), g.k, g.n)
				}
				g.check(t, p.name+" packed "+g.String(), func(c []float32) {
					SgemmPacked(g.transA, g.m, g.alpha, g.a, g.lda, &pb, g.beta, c, g.ldc)
				})
			}
		}
	})
}

// TestSgemmPackedDeterministic checks that SgemmPacked's results do not
// depend on GOMAXPROCS, for the row split and the column split.
func TestSgemmPackedDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(23, 24))
	for _, s := range [][3]int{{301, 257, 300}, {32, 2048, 512}, {20, 800, 200}} {
		g := newGemmCase(r, false, true, s[0], s[1], s[2], 1, 1, 0)
		var pb PackedB
		pb.Pack(g.transB, g.k, g.n, g.b, g.ldb)
		var first []float32
		for _, procs := range []int{1, 2, 3, 4} {
			runtime.GOMAXPROCS(procs)
			c := append([]float32(nil), g.c...)
			SgemmPacked(false, g.m, 1, g.a, g.lda, &pb, 1, c, g.ldc)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v: GOMAXPROCS=%d differs from 1 at %d: %v vs %v", s, procs, i, c[i], first[i])
				}
			}
		}
	}
}

func TestSgemmPackedAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][3]int{{32, 2048, 512}, {256, 256, 256}, {20, 20, 20}} {
		g := newGemmCase(r, false, false, s[0], s[1], s[2], 1, 0, 0)
		var pb PackedB
		pb.Pack(false, g.k, g.n, g.b, g.ldb)
		c := append([]float32(nil), g.c...)
		f := func() { SgemmPacked(false, g.m, 1, g.a, g.lda, &pb, 0, c, g.ldc) }
		f()
		if n := testing.AllocsPerRun(20, f); n > 0.5 {
			t.Errorf("%v: %.1f allocations per call", s, n)
		}
		pk := func() { pb.Pack(false, g.k, g.n, g.b, g.ldb) }
		if n := testing.AllocsPerRun(5, pk); n > 0.5 {
			t.Errorf("%v: %.1f allocations per Pack", s, n)
		}
	}
}

func TestSgemmPackedPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("SgemmPacked with an empty PackedB did not panic")
		}
	}()
	var pb PackedB
	SgemmPacked(false, 1, 1, make([]float32, 4), 4, &pb, 0, make([]float32, 4), 4)
}

// BenchmarkSgemmPacked measures products against a pre-packed right
// operand at the shapes of an LSTM time step (batch 32, hidden 512: the
// forward h·Uᵀ and the backward dG·U) and of a smaller layer.
func BenchmarkSgemmPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{32, 2048, 512}, {32, 512, 2048}, {20, 800, 200}} {
		m, n, k := s[0], s[1], s[2]
		b.Run(benchShape{m, n, k, "NN"}.String(), func(b *testing.B) {
			a := randSlice(r, m*k, -1, 1)
			bb := randSlice(r, k*n, -1, 1)
			c := make([]float32, m*n)
			var pb PackedB
			pb.Pack(false, k, n, bb, n)
			SgemmPacked(false, m, 1, a, k, &pb, 1, c, n)
			for b.Loop() {
				SgemmPacked(false, m, 1, a, k, &pb, 1, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
