package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
)

// TestSgemmThen checks SgemmThen's contract on every path of the loop nest
// (matrix-vector, one goroutine, column split, pipelined with several
// column and k blocks) and every instruction-set path: each row of C is
// handed to then exactly once, only when it is final (equal to what Sgemm
// computes), and the fused result is bit-identical for any GOMAXPROCS.
func TestSgemmThen(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(7, 11))
	shapes := []struct {
		tA, tB  bool
		m, n, k int
		beta    float32
	}{
		{false, true, 1, 40, 33, 0},       // matrix-vector
		{false, false, 37, 1, 20, 1},      // matrix-vector, n = 1
		{false, true, 5, 7, 0, 0.5},       // k = 0: scaling only
		{false, true, 13, 9, 11, 1},       // small: one goroutine
		{false, false, 20, 700, 300, 0},   // few row tiles: column split
		{false, true, 300, 96, 200, 1},    // pipelined, one block
		{true, false, 250, 2100, 40, 0},   // pipelined, two column blocks
		{false, false, 130, 70, 1700, -1}, // pipelined, three k blocks
	}
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range shapes {
			g := newGemmCase(r, s.tA, s.tB, s.m, s.n, s.k, 1, s.beta, 3)
			want := guarded(len(g.c))
			copy(want, g.c[:len(g.c)+guardLen])
			sgemmWith(p.gemm, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc)
			var first []float32
			for _, procs := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(procs)
				c := guarded(len(g.c))
				copy(c, g.c[:len(g.c)+guardLen])
				seen := make([]atomic.Int32, g.m)
				var bad atomic.Int64
				bad.Store(-1)
				sgemmThen(p.gemm, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						seen[i].Add(1)
						row := c[i*g.ldc : i*g.ldc+g.n]
						for j, v := range row {
							if math.Float32bits(v) != math.Float32bits(want[i*g.ldc+j]) {
								bad.CompareAndSwap(-1, int64(i))
							}
							row[j] = 2*v + 1
						}
					}
				})
				checkGuard(t, g.String(), c)
				if i := bad.Load(); i >= 0 {
					t.Fatalf("%s GOMAXPROCS=%d: row %d handed to then before it was final", g, procs, i)
				}
				for i := range seen {
					if n := seen[i].Load(); n != 1 {
						t.Fatalf("%s GOMAXPROCS=%d: row %d handed to then %d times", g, procs, i, n)
					}
				}
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) && !(c[i] != c[i] && first[i] != first[i]) {
						t.Fatalf("%s: GOMAXPROCS=%d differs from 1 at %d: %v vs %v", g, procs, i, c[i], first[i])
					}
				}
			}
		}
	})
}

// TestPackTransposed compares packTransposed with its definition for
// widths around the 8- and 4-row assembly strips, column counts with and
// without a tail past the 8-column blocks, and padded strides.
func TestPackTransposed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	forEachPath(t, func(t *testing.T, p path) {
		for _, w := range []int{1, 3, 4, 5, 7, 8, 11, 12, 13, 16, 20, 32} {
			for _, kcur := range []int{1, 7, 8, 9, 16, 30, 64} {
				lds, ld := kcur+3, w+2
				src := randSlice(r, w*lds, -1, 1)
				dst := guarded((kcur-1)*ld + w)
				packTransposed(dst, ld, src, lds, w, kcur)
				checkGuard(t, "packTransposed", dst)
				for pp := range kcur {
					for j := range w {
						if got, want := dst[pp*ld+j], src[j*lds+pp]; got != want {
							t.Fatalf("w=%d kcur=%d: dst[%d,%d] = %v, want %v", w, kcur, pp, j, got, want)
						}
					}
				}
			}
		}
	})
}
