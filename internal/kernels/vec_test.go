package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

var vecLens = []int{0, 1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 129, 1000, 4099, 70001} // the last crosses the parallel split

func TestBLAS1(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	forEachPath(t, func(t *testing.T, p path) {
		for _, n := range vecLens {
			x := randSlice(r, n, -2, 2)
			y := randSlice(r, n, -2, 2)
			// Dot: the GEMM bound with K = n.
			got, want := Dot(x, y), dotRef(x, y)
			var mag float64
			for i := range x {
				mag += abs32(x[i] * y[i])
			}
			if d := math.Abs(float64(got - want)); d > math.Sqrt(float64(max(n, 1)))*u*mag+u*abs32(want) {
				t.Fatalf("Dot n=%d: %v, want %v", n, got, want)
			}
			// SumSquares: float64 sums of exact squares, against the exact
			// sum (the squares are exact and the reference's float64 sum is
			// itself within n·2⁻⁵³ of it: twice that bound).
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			if got := SumSquares(x); math.Abs(got-ss) > 2*float64(n)*0x1p-53*ss {
				t.Fatalf("SumSquares n=%d: %v, want %v", n, got, ss)
			}
			// Axpy: at most two roundings of |y| + |αx|.
			alpha := float32(-1.25)
			yg := guarded(n)
			copy(yg, y)
			yr := append([]float32(nil), y...)
			Axpy(alpha, x, yg)
			axpyRef(alpha, x, yr)
			checkGuard(t, "Axpy", yg)
			for i := range yg {
				if d := math.Abs(float64(yg[i] - yr[i])); d > u*(abs32(y[i])+abs32(alpha*x[i])) {
					t.Fatalf("Axpy n=%d i=%d: %v, want %v", n, i, yg[i], yr[i])
				}
			}
			// Scale: one rounding.
			sg := guarded(n)
			copy(sg, x)
			sr := append([]float32(nil), x...)
			Scale(alpha, sg)
			scaleRef(alpha, sr)
			checkGuard(t, "Scale", sg)
			for i := range sg {
				if d := math.Abs(float64(sg[i] - sr[i])); d > u*abs32(sr[i]) {
					t.Fatalf("Scale n=%d i=%d: %v, want %v", n, i, sg[i], sr[i])
				}
			}
			// Add: one rounding.
			ag := guarded(n)
			ar := make([]float32, n)
			Add(ag, x, y)
			addRef(ar, x, y)
			checkGuard(t, "Add", ag)
			for i := range ag {
				if d := math.Abs(float64(ag[i] - ar[i])); d > u*abs32(ar[i]) {
					t.Fatalf("Add n=%d i=%d: %v, want %v", n, i, ag[i], ar[i])
				}
			}
			// Mul: the correctly rounded product (exact in float64).
			mg := guarded(n)
			Mul(mg, x, y)
			checkGuard(t, "Mul", mg)
			for i := range mg {
				if want := float32(float64(x[i]) * float64(y[i])); mg[i] != want {
					t.Fatalf("Mul n=%d i=%d: %v, want %v", n, i, mg[i], want)
				}
			}
			// Aliasing.
			Add(x, x, y)
			for i := range x {
				if x[i] != ag[i] {
					t.Fatalf("Add aliased n=%d i=%d: %v, want %v", n, i, x[i], ag[i])
				}
			}
		}
	})
}
