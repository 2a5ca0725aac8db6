package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGatedGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, N := range []int{5, 300} { // one goroutine, and rows split among workers
		C := 7
		inp := randSlice(rng, N*2*C, 1.5)
		dinp := make([]float32, len(inp))
		out, act := make([]float32, N*C), make([]float32, N*2*C)
		checkGrad(t, "gated", gradCase{
			inputs:   [][]float32{inp},
			grads:    [][]float32{dinp},
			forward:  func() []float32 { GatedForward(out, act, inp, N, C); return out },
			backward: func(d []float32) { GatedBackward(dinp, d, act, N, C) },
		}, rng)
		GatedForward(out, act, inp, N, C)
		for i := range N * C {
			r, j := i/C, i%C
			a, b := float64(inp[r*2*C+j]), float64(inp[r*2*C+C+j])
			if want := math.Tanh(a) / (1 + math.Exp(-b)); math.Abs(float64(out[i])-want) > 1e-6 {
				t.Fatalf("gated %d: %v, want %v", i, out[i], want)
			}
		}
	}
}
