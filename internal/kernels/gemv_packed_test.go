package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemvPackedRef is the specification of GemvPacked: float64 sums of
// y[j] = bias[j] + Σₚ x[p]·op(B)[p][j], with the bound of each element
// (√k·2⁻²³·(Σₚ|x[p]·op(B)[p][j]| + |bias[j]|)).
func gemvPackedRef(x, bias []float32, transB bool, k, n int, b []float32, ldb int) (want, bound []float64) {
	want, bound = make([]float64, n), make([]float64, n)
	for j := range n {
		var s, a float64
		if bias != nil {
			s, a = float64(bias[j]), math.Abs(float64(bias[j]))
		}
		for p := range k {
			var bv float32
			if transB {
				bv = b[j*ldb+p]
			} else {
				bv = b[p*ldb+j]
			}
			t := float64(x[p]) * float64(bv)
			s += t
			a += math.Abs(t)
		}
		want[j], bound[j] = s, math.Sqrt(float64(max(k, 1)))*u*a
	}
	return want, bound
}

// TestGemvPacked compares GemvPacked on every path with the float64
// reference over odd shapes (k across several k blocks, n not a multiple
// of the panel width), both layouts of B, with and without a bias, and
// checks that splitting the columns into ranges gives the same bits as one
// call, without writing outside the range.
func TestGemvPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	shapes := [][2]int{{1, 1}, {7, 3}, {17, 33}, {256, 768}, {1024, 256}, {1000, 97}, {300, 65}, {64, 4}, {3, 200}}
	forEachPath(t, func(t *testing.T, pt path) {
		var pb PackedB
		for si, s := range shapes {
			k, n := s[0], s[1]
			transB := si%2 == 0
			ldb := n + si%3
			if transB {
				ldb = k + si%3
			}
			rows := k // B stored k×n, or n×k with transB
			if transB {
				rows = n
			}
			b := randSlice(r, rows*ldb, -1, 1)
			x := randSlice(r, k, -1, 1)
			var bias []float32
			if si%3 != 1 {
				bias = randSlice(r, n, -1, 1)
			}
			pb.Pack(transB, k, n, b, ldb)
			name := fmt.Sprintf("%s k=%d n=%d transB=%v bias=%v", pt.name, k, n, transB, bias != nil)
			want, bound := gemvPackedRef(x, bias, transB, k, n, b, ldb)
			whole := guarded(n)
			for j := range whole {
				whole[j] = float32(math.NaN()) // every element must be written
			}
			GemvPacked(whole, x, bias, &pb, 0, 0, n)
			checkGuard(t, name, whole)
			for j, g := range whole {
				if d := math.Abs(float64(g) - want[j]); !(d <= bound[j]) {
					t.Fatalf("%s: y[%d] = %v, want %v (error %g > bound %g)", name, j, g, want[j], d, bound[j])
				}
			}
			// Ranges of one, two and three panels.
			nr := pb.PanelWidth()
			for _, step := range []int{nr, 2 * nr, 3 * nr} {
				split := make([]float32, n)
				for lo := 0; lo < n; lo += step {
					hi := min(lo+step, n)
					y := make([]float32, n)
					for j := range y {
						y[j] = sentinel
					}
					GemvPacked(y, x, bias, &pb, 0, lo, hi)
					for j := range y {
						if (j < lo || j >= hi) && math.Float32bits(y[j]) != math.Float32bits(sentinel) {
							t.Fatalf("%s: range [%d,%d) wrote y[%d]", name, lo, hi, j)
						}
					}
					copy(split[lo:hi], y[lo:hi])
				}
				for j := range split {
					if math.Float32bits(split[j]) != math.Float32bits(whole[j]) {
						t.Fatalf("%s: ranges of %d: y[%d] = %v, one call %v", name, step, j, split[j], whole[j])
					}
				}
			}
			// Ranges of rows: partial products of slices of x, across k
			// blocks, each against the reference of its rows.
			for _, rows := range [][2]int{{0, k / 2}, {k / 2, k}, {k / 3, k - k/5}, {k - 1, k}, {3, 3}} {
				p0, p1 := rows[0], rows[1]
				if p0 > p1 || p1 > k {
					continue
				}
				y := guarded(n)
				GemvPacked(y, x[p0:p1], nil, &pb, p0, 0, n)
				checkGuard(t, name, y)
				var sub []float32 // B from row p0 of op(B)
				if transB {
					sub = b[p0:]
				} else {
					sub = b[p0*ldb:]
				}
				want, bound := gemvPackedRef(x[p0:p1], nil, transB, p1-p0, n, sub, ldb)
				for j, g := range y {
					if d := math.Abs(float64(g) - want[j]); !(d <= bound[j]) {
						t.Fatalf("%s rows [%d,%d): y[%d] = %v, want %v (error %g > bound %g)", name, p0, p1, j, g, want[j], d, bound[j])
					}
				}
			}
		}
	})
}

func TestGemvPackedPanics(t *testing.T) {
	var pb PackedB
	b := make([]float32, 64*64)
	pb.Pack(false, 64, 64, b, 64)
	nr := pb.PanelWidth()
	for _, c := range []struct {
		name   string
		x, y   []float32
		lo, hi int
	}{
		{"y too short", make([]float32, 64), make([]float32, 63), 0, 64},
		{"lo unaligned", make([]float32, 64), make([]float32, 64), 1, 64},
		{"hi unaligned", make([]float32, 64), make([]float32, 64), 0, nr + 1},
		{"hi past n", make([]float32, 64), make([]float32, 65), 0, 65},
		{"x too long", make([]float32, 65), make([]float32, 64), 0, 64},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			GemvPacked(c.y, c.x, nil, &pb, 0, c.lo, c.hi)
		}()
	}
}

func TestGemvPackedAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := rand.New(rand.NewPCG(33, 34))
	var pb PackedB
	pb.Pack(true, 1024, 250, randSlice(r, 1024*250, -1, 1), 1024)
	x, y := randSlice(r, 1024, -1, 1), make([]float32, 250)
	if n := testing.AllocsPerRun(20, func() { GemvPacked(y, x, nil, &pb, 0, 0, 250) }); n > 0 {
		t.Errorf("%.1f allocations per call", n)
	}
}

// BenchmarkGemvPacked measures the one-row products of a generated token
// (width 256: the QKV, MLP and projection shapes) against packed weights,
// on the calling goroutine, beside the unpacked Sgemm.
func BenchmarkGemvPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][2]int{{256, 768}, {256, 1024}, {1024, 256}} {
		k, n := s[0], s[1]
		w := randSlice(r, k*n, -1, 1) // n×k, a linear layer's weight
		x, y := randSlice(r, k, -1, 1), make([]float32, n)
		var pb PackedB
		pb.Pack(true, k, n, w, k)
		gb := func(b *testing.B) {
			b.ReportMetric(4*float64(k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		}
		b.Run(fmt.Sprintf("packed/%dx%d", k, n), func(b *testing.B) {
			for b.Loop() {
				GemvPacked(y, x, nil, &pb, 0, 0, n)
			}
			gb(b)
		})
		b.Run(fmt.Sprintf("sgemm/%dx%d", k, n), func(b *testing.B) {
			for b.Loop() {
				sgemmWith(bestGemm(), false, true, 1, n, k, 1, x, k, w, k, 0, y, n)
			}
			gb(b)
		})
	}
}
