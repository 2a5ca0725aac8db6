package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvPackedRows checks that every row of a batched product has the
// bits GemvPacked gives it alone, whatever the number of rows, for whole
// and partial column ranges and ranges of rows of B (across k blocks),
// and that nothing outside the rows' column ranges is written.
func TestGemvPackedRows(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	shapes := [][2]int{{1, 1}, {7, 3}, {17, 33}, {256, 768}, {1024, 256}, {1000, 97}, {300, 65}, {64, 4}, {3, 200}, {800, 70}}
	forEachPath(t, func(t *testing.T, pt path) {
		var pb PackedB
		for si, s := range shapes {
			k, n := s[0], s[1]
			transB := si%2 == 0
			ldb := n
			if transB {
				ldb = k
			}
			rows := k
			if transB {
				rows = n
			}
			pb.Pack(transB, k, n, randSlice(r, rows*ldb, -1, 1), ldb)
			nr := pb.PanelWidth()
			var bias []float32
			if si%3 != 1 {
				bias = randSlice(r, n, -1, 1)
			}
			cols := [][2]int{{0, n}, {nr, n}, {0, min(n, 2*nr)}}
			krange := [][2]int{{0, k}, {k / 3, k - k/5}, {k - 1, k}}
			for _, m := range []int{1, 2, 3, 4, 5, 7, 16} {
				for ci, cr := range cols {
					lo, hi := cr[0], cr[1]
					if lo > hi {
						continue
					}
					p0, p1 := krange[(ci+m)%len(krange)][0], krange[(ci+m)%len(krange)][1]
					kx := p1 - p0
					ldx, ldy := kx+m%3, hi+1+m%2
					x := randSlice(r, m*ldx, -1, 1)
					y := guarded(m * ldy)
					for i := range y {
						y[i] = sentinel
					}
					name := fmt.Sprintf("%s k=%d n=%d m=%d cols [%d,%d) rows [%d,%d)", pt.name, k, n, m, lo, hi, p0, p1)
					GemvPackedRows(m, y, ldy, x, ldx, kx, bias, &pb, p0, lo, hi)
					checkGuard(t, name, y)
					want := make([]float32, n)
					for i := range m {
						GemvPacked(want, x[i*ldx:i*ldx+kx], bias, &pb, p0, lo, hi)
						for j := range ldy {
							got := y[i*ldy+j]
							if j < lo || j >= hi {
								if math.Float32bits(got) != math.Float32bits(sentinel) {
									t.Fatalf("%s: row %d: wrote column %d", name, i, j)
								}
								continue
							}
							if math.Float32bits(got) != math.Float32bits(want[j]) {
								t.Fatalf("%s: row %d column %d: %v, alone %v", name, i, j, got, want[j])
							}
						}
					}
				}
			}
		}
	})
}

func TestGemvPackedRowsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := rand.New(rand.NewPCG(43, 44))
	var pb PackedB
	pb.Pack(true, 256, 250, randSlice(r, 256*250, -1, 1), 256)
	x, y := randSlice(r, 16*256, -1, 1), make([]float32, 16*250)
	if n := testing.AllocsPerRun(20, func() { GemvPackedRows(16, y, 250, x, 256, 256, nil, &pb, 0, 0, 250) }); n > 0 {
		t.Errorf("%.1f allocations per call", n)
	}
}

// BenchmarkGemvPackedRows measures a batch of m rows against packed
// weights (width 256: a generated token's QKV shape) in one call, beside
// m one-row calls: the gain of stepping many sequences at once.
func BenchmarkGemvPackedRows(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const k, n = 256, 768
	var pb PackedB
	pb.Pack(true, k, n, randSlice(r, k*n, -1, 1), k)
	for _, m := range []int{1, 4, 16} {
		x, y := randSlice(r, m*k, -1, 1), make([]float32, m*n)
		flops := func(b *testing.B) {
			b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(fmt.Sprintf("rows/m=%d", m), func(b *testing.B) {
			for b.Loop() {
				GemvPackedRows(m, y, n, x, k, k, nil, &pb, 0, 0, n)
			}
			flops(b)
		})
		b.Run(fmt.Sprintf("one-by-one/m=%d", m), func(b *testing.B) {
			for b.Loop() {
				for i := range m {
					GemvPacked(y[i*n:(i+1)*n], x[i*k:(i+1)*k], nil, &pb, 0, 0, n)
				}
			}
			flops(b)
		})
	}
}
