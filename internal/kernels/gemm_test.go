package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// gemmCase is one Sgemm problem with its inputs.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b, c        []float32
}

func newGemmCase(r *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad int) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ac)+pad, max(1, bc)+pad, max(1, n)+pad
	g.a = randSlice(r, max(0, (ar-1)*g.lda+ac), -1, 1)
	g.b = randSlice(r, max(0, (br-1)*g.ldb+bc), -1, 1)
	n0 := max(0, (m-1)*g.ldc+n)
	g.c = guarded(n0)
	copy(g.c, randSlice(r, n0, -1, 1))
	if beta == 0 {
		// beta == 0 must ignore C entirely, even NaNs.
		for i := range g.c {
			g.c[i] = float32(math.NaN())
		}
	}
	// Padding between rows of C must survive: mark it.
	for i := range m {
		for j := n; j < g.ldc && i*g.ldc+j < len(g.c); j++ {
			g.c[i*g.ldc+j] = sentinel
		}
	}
	return g
}

func (g *gemmCase) aAt(i, p int) float32 {
	if g.transA {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

func (g *gemmCase) bAt(p, j int) float32 {
	if g.transB {
		return g.b[j*g.ldb+p]
	}
	return g.b[p*g.ldb+j]
}

// check runs one implementation and compares it with the exact product
// (float64) under the fixed bound √K·2⁻²³·(|α|Σₚ|aᵢₚbₚⱼ| + |βcᵢⱼ|): the
// probabilistic rounding-error bound for a K-term float32 sum, with the β
// term counted as one more product.
func (g *gemmCase) check(t *testing.T, name string, run func(c []float32)) {
	t.Helper()
	c := guarded(len(g.c))
	copy(c[:len(g.c)+guardLen], g.c[:len(g.c)+guardLen])
	run(c)
	checkGuard(t, name, c)
	sk := math.Sqrt(float64(max(g.k, 1)))
	for i := range g.m {
		for j := 0; j < g.ldc && i*g.ldc+j < len(c); j++ {
			got := c[i*g.ldc+j]
			if j >= g.n {
				if math.Float32bits(got) != math.Float32bits(sentinel) {
					t.Fatalf("%s: C[%d,%d] between rows (ldc=%d > n=%d) was written", name, i, j, g.ldc, g.n)
				}
				continue
			}
			var s, mag float64
			for p := range g.k {
				v := float64(g.aAt(i, p)) * float64(g.bAt(p, j))
				s += v
				mag += math.Abs(v)
			}
			want := float64(g.alpha) * s
			mag *= math.Abs(float64(g.alpha))
			if g.beta != 0 {
				bc := float64(g.beta) * float64(g.c[i*g.ldc+j])
				want += bc
				mag += math.Abs(bc)
			}
			tol := sk * u * mag
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v (|diff| %.3g > bound %.3g)", name, i, j, got, want, d, tol)
			}
		}
	}
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v %dx%dx%d α=%v β=%v lda=%d ldb=%d ldc=%d",
		g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

func gemmImpls() []*gemmImpl {
	var out []*gemmImpl
	for _, p := range allPaths() {
		if p.availableOnCPU {
			out = append(out, p.gemm)
		}
	}
	return out
}

func runImpl(im *gemmImpl, g *gemmCase) func(c []float32) {
	return func(c []float32) {
		sgemmWith(im, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	}
}

func runRef(g *gemmCase) func(c []float32) {
	return func(c []float32) {
		sgemmRef(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	}
}

var alphaBeta = [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, -1}}

// TestSgemmSweep compares every path with the exact product over odd shapes,
// all four transpose combinations, alpha/beta cases and padded strides.
func TestSgemmSweep(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	small := []int{1, 2, 3, 7, 17}
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range small {
		for _, n := range small {
			for _, k := range small {
				shapes = append(shapes, shape{m, n, k})
			}
		}
	}
	shapes = append(shapes,
		shape{63, 65, 129}, shape{65, 63, 17}, shape{129, 7, 63}, shape{7, 129, 65},
		shape{33, 130, 300}, shape{1, 700, 129}, shape{700, 1, 65}, shape{1, 1, 1000},
		shape{6, 64, 1}, shape{12, 128, 5}, shape{49, 97, 257},
		shape{5, 1500, 300}, // few row tiles, large: the column split
		// Last row tiles that the short AVX-512 kernels (8 and 4 rows) fit
		// exactly or with padding.
		shape{32, 100, 300}, shape{20, 64, 33}, shape{16, 65, 40}, shape{8, 33, 17}, shape{4, 32, 9}, shape{30, 96, 64},
		shape{25, 70, 1024}, shape{26, 40, 1024}) // rows 4 KiB apart (packed, not read in place)
	for _, im := range gemmImpls() {
		for si, s := range shapes {
			for ti := range 4 {
				ab := alphaBeta[(si+ti)%len(alphaBeta)]
				pad := (si + ti) % 3 * 5
				g := newGemmCase(r, ti&1 != 0, ti&2 != 0, s.m, s.n, s.k, ab[0], ab[1], pad)
				g.check(t, im.name+" "+g.String(), runImpl(im, g))
			}
		}
	}
}

// TestSgemmBlocks crosses the k, n and m cache blocks of every path.
func TestSgemmBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, im := range gemmImpls() {
		m, n, k := 3*im.mr+1, im.nc+im.nr+3, 2*im.kc+7
		for ti := range 4 {
			ab := alphaBeta[ti]
			g := newGemmCase(r, ti&1 != 0, ti&2 != 0, m, n, k, ab[0], ab[1], 3)
			g.check(t, im.name+" "+g.String(), runImpl(im, g))
		}
	}
}

func TestSgemmReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for ti := range 4 {
		g := newGemmCase(r, ti&1 != 0, ti&2 != 0, 13, 11, 29, alphaBeta[ti][0], alphaBeta[ti][1], 2)
		g.check(t, "ref "+g.String(), runRef(g))
	}
}

// TestSgemmDispatch checks the public entry point on every path and the
// degenerate cases (k = 0, alpha = 0, empty matrices).
func TestSgemmDispatch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	forEachPath(t, func(t *testing.T, p path) {
		for _, s := range [][3]int{{70, 90, 33}, {1, 50, 20}, {50, 1, 20}, {5, 5, 0}, {0, 5, 5}, {5, 0, 5}} {
			for _, ab := range [][2]float32{{1, 0}, {0, 3}, {1.5, 0.5}} {
				g := newGemmCase(r, false, true, s[0], s[1], s[2], ab[0], ab[1], 1)
				g.check(t, p.name+" "+g.String(), func(c []float32) {
					Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
				})
			}
		}
	})
}

// TestSgemmDeterministic checks that results do not depend on GOMAXPROCS.
func TestSgemmDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(9, 10))
	for _, im := range gemmImpls() {
		// {100, 2100, 520}: several column and k blocks, pipelined over
		// the workers (gemm_pipeline.go).
		for _, s := range [][3]int{{301, 257, 300}, {100, 2100, 520}, {5, 3000, 300}, {1, 3000, 700}, {3000, 1, 700}} {
			g := newGemmCase(r, false, false, s[0], s[1], s[2], 1, 0.5, 0)
			var first []float32
			for _, procs := range []int{1, 2, 3, 4} {
				runtime.GOMAXPROCS(procs)
				c := append([]float32(nil), g.c...)
				runImpl(im, g)(c)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) && !(c[i] != c[i] && first[i] != first[i]) {
						t.Fatalf("%s %v: GOMAXPROCS=%d differs from 1 at %d: %v vs %v", im.name, s, procs, i, c[i], first[i])
					}
				}
			}
		}
	}
}

// TestSgemmConcurrent runs parallel products from several goroutines at
// once, and from inside Parallel, with more workers than cores: the pool's
// helpers are then busy, so one goroutine may run a product's work units
// alone or with late helpers. Results must match the serial product
// bit for bit (and nothing may deadlock).
func TestSgemmConcurrent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(13, 14))
	for _, im := range gemmImpls() {
		var cases []*gemmCase
		var want [][]float32
		for ti := range 4 {
			g := newGemmCase(r, ti&1 != 0, ti&2 != 0, 100, 2100, 300, 1, 0.5, 1)
			runtime.GOMAXPROCS(1)
			c := append([]float32(nil), g.c...)
			runImpl(im, g)(c)
			cases, want = append(cases, g), append(want, c)
		}
		runtime.GOMAXPROCS(4)
		got := make([][]float32, 2*len(cases))
		var wg sync.WaitGroup
		for i := range got {
			g := cases[i%len(cases)]
			c := append([]float32(nil), g.c...)
			got[i] = c
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					runImpl(im, g)(c)
					return
				}
				Parallel(2, 1, func(lo, hi int) {
					if lo == 0 {
						runImpl(im, g)(c)
					}
				})
			}()
		}
		wg.Wait()
		for i, c := range got {
			w := want[i%len(cases)]
			for j := range c {
				if math.Float32bits(c[j]) != math.Float32bits(w[j]) {
					t.Fatalf("%s %v, call %d: differs from the serial product at %d: %v vs %v", im.name, cases[i%len(cases)], i, j, c[j], w[j])
				}
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	a := make([]float32, 12)
	mustPanic("short a", func() { Sgemm(false, false, 4, 3, 4, 1, a, 4, a, 3, 0, a, 3) })
	mustPanic("small lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) })
	mustPanic("negative", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) })
}

func TestSgemmAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{{256, 256, 256}, {200, 300, 600}, {1, 2048, 512}, {20, 20, 20}} {
		g := newGemmCase(r, false, false, s[0], s[1], s[2], 1, 0, 0)
		c := append([]float32(nil), g.c...)
		f := func() { Sgemm(false, false, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, c, g.ldc) }
		f()
		if n := testing.AllocsPerRun(20, f); n > 0.5 {
			t.Errorf("%v: %.1f allocations per call", s, n)
		}
	}
}

// FuzzSgemm is a differential fuzz test: every path against the exact
// product on fuzzer-chosen shapes, transposes, strides and scalars.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(7), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(1), uint8(40), uint8(9), uint8(3), uint8(1), uint64(2))
	f.Add(uint8(33), uint8(1), uint8(70), uint8(2), uint8(2), uint64(3))
	f.Add(uint8(13), uint8(65), uint8(0), uint8(1), uint8(3), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 99))
		ab := alphaBeta[int(flags>>2)%len(alphaBeta)]
		g := newGemmCase(r, flags&1 != 0, flags&2 != 0, int(m%80), int(n%140), int(k%140), ab[0], ab[1], int(pad%9))
		for _, im := range gemmImpls() {
			g.check(t, im.name+" "+g.String(), runImpl(im, g))
		}
	})
}
