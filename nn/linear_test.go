package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/kernels"
	"github.com/autoreg/autoreg/internal/testutil"
)

// TestLinearPacked: the packed form computes LinearForward's product, with
// and without a bias, to within float32 rounding of its sums.
func TestLinearPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []float32 { return testutil.RandNormal(rng, n, 1) }
	for _, sh := range [][3]int{{1, 7, 5}, {3, 16, 48}, {9, 33, 17}} {
		N, C, OC := sh[0], sh[1], sh[2]
		inp, w := rnd(N*C), rnd(OC*C)
		var pb kernels.PackedB
		pb.Pack(true, C, OC, w, C)
		for _, bias := range [][]float32{nil, rnd(OC)} {
			want, got := make([]float32, N*OC), rnd(N*OC) // got starts as garbage
			LinearForward(want, inp, w, bias, N, C, OC)
			LinearPacked(got, inp, &pb, bias, N)
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*math.Sqrt(float64(C))*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("%v bias %v: out[%d] = %v, want %v", sh, bias != nil, i, got[i], want[i])
				}
			}
		}
	}
}
