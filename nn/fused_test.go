package nn

import (
	"math/rand/v2"
	"testing"
)

// The fused epilogues equal the unfused layers bit for bit.
func TestFused(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, N := range []int{3, 300} {
		C := 40
		x, res, bias := randSlice(rng, N*C, 1), randSlice(rng, N*C, 1), randSlice(rng, C, 1)

		pre := append([]float32(nil), x...)
		out := make([]float32, N*C)
		BiasGELUForward(out, pre, bias, N, C)
		ref := make([]float32, N*C)
		fillRows(ref, bias, N, C)
		for i := range ref {
			ref[i] += x[i]
		}
		gl := make([]float32, N*C)
		GELUForward(gl, ref)
		for i := range out {
			if out[i] != gl[i] || pre[i] != ref[i] {
				t.Fatalf("BiasGELU differs at %d", i)
			}
		}

		for _, p := range []float64{0, 0.3} {
			mask := make([]float32, N*C)
			if p > 0 {
				DropoutMask(mask, p, rand.New(rand.NewPCG(1, 2)))
			}
			var mk []float32
			if p > 0 {
				mk = mask
			}
			got := make([]float32, N*C)
			BiasResidualForward(got, res, x, bias, mk, N, C)
			// Unfused: bias, dropout (same draws), residual.
			y := make([]float32, N*C)
			for i := range y {
				y[i] = x[i] + bias[i%C]
			}
			m2 := make([]float32, N*C)
			DropoutForward(y, m2, y, p, rand.New(rand.NewPCG(1, 2)))
			for i := range got {
				if want := res[i] + y[i]; got[i] != want || (p > 0 && m2[i] != mask[i]) {
					t.Fatalf("BiasResidual p=%g differs at %d: %g vs %g", p, i, got[i], want)
				}
			}
		}
	}
}
