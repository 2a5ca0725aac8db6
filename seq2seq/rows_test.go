package seq2seq

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// BackwardRows with weights w gives the gradient of Σ_b w[b]·(row b's
// summed loss): equal weights are Backward bit for bit, and a row's
// weight scales that row's gradient alone (by linearity, the sum of two
// one-row passes is the two-row pass).
func TestBackwardRows(t *testing.T) {
	m := tinyModel(t, tinyCfg, 7, 5)
	rng := rand.New(rand.NewPCG(3, 4))
	perturb(m, rng, 0.1)
	p := randBatch(rng, m, 3, 6, 8)
	a := m.arena
	grad := func(w []float32) []float32 {
		clear(a.Grads)
		p.forward(m, nil)
		if w == nil {
			m.Backward(0.25)
		} else {
			m.BackwardRows(w)
		}
		return slices.Clone(a.Grads)
	}
	plain, rows := grad(nil), grad([]float32{0.25, 0.25, 0.25})
	if !slices.Equal(plain, rows) {
		t.Fatal("equal row weights differ from Backward")
	}
	both := grad([]float32{0.5, 0, -2})
	one, three := grad([]float32{0.5, 0, 0}), grad([]float32{0, 0, -2})
	for i := range both {
		if d := both[i] - one[i] - three[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("parameter %d: %g ≠ %g + %g", i, both[i], one[i], three[i])
		}
	}
}
