package rnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// intState is what lmzip reads from an exact state.
type intState interface {
	Ints() (lo, n int, err error)
	Cum(i, j int) uint32
	Find(i int, target uint32) int
}

// TestExactRealState compares the exact state of a dlogistic model over
// integers with the fast one: every bin's frequency is its mass to within
// the fixed point's error, a long Append and a copy give the bits of step
// by step appends, and a head that does not cover integers is refused.
func TestExactRealState(t *testing.T) {
	for _, hw := range []bool{false, true} {
		sp := neuraltest.Spec("dlogistic:3", 2, 3)
		sp.Head.Grid = dist.Grid{Lo: -4, Step: 0.2, N: 41} // the integers 80 … 120
		sp.Highway = hw
		r, _ := trainedReal(t, Config{Cell: LSTM, Layers: 2, Hidden: 8}, sp)
		rng := rand.New(rand.NewPCG(1, 2))
		xs := make([]float64, 2*60)
		for i := range xs {
			xs[i] = float64(80 + rng.IntN(41))
		}
		fast, ex, long, cp := r.NewRealState(), r.NewExactRealState(), r.NewExactRealState(), r.NewExactRealState()
		long.Append(xs...)
		for s := 0; s < len(xs); s += 2 {
			fd, ed := fast.Predict(), ex.Predict()
			is := ex.(intState)
			lo, n, err := is.Ints()
			if err != nil || lo != 80 || n != 41 {
				t.Fatalf("Ints = %d, %d, %v; want 80, 41", lo, n, err)
			}
			for i := range 2 {
				tot := float64(is.Cum(i, n))
				for j := range n {
					p := math.Exp(fd.LogProb(i, float64(lo+j)))
					q := float64(is.Cum(i, j+1)-is.Cum(i, j)) / tot
					if math.Abs(p-q) > 1e-6+0.01*p {
						t.Fatalf("step %d dim %d bin %d: frequency %.6g, fast mass %.6g", s/2, i, j, q, p)
					}
					if e := math.Exp(ed.LogProb(i, float64(lo+j))); math.Abs(e-p) > 1e-5*p+1e-9 {
						t.Fatalf("step %d: exact Predict %.8g, fast %.8g", s/2, e, p)
					}
				}
				if j := is.Find(i, is.Cum(i, 7)); j != 7 {
					t.Fatalf("Find(Cum(7)) = %d", j)
				}
			}
			if s == 40 {
				ex.CopyTo(cp)
			}
			fast.Append(xs[s : s+2]...)
			ex.Append(xs[s : s+2]...)
		}
		cp.Append(xs[40:]...)
		for k, st := range []intState{long.(intState), cp.(intState)} {
			for j := range 42 {
				if a, b := st.Cum(1, j), ex.(intState).Cum(1, j); a != b {
					t.Fatalf("highway %v, state %d (a long append, a copy): Cum %d, step by step %d", hw, k, a, b)
				}
			}
		}
		if _, _, err := r.NewRealState().(intState).Ints(); err == nil {
			t.Error("a fast state offers integer frequencies")
		}
	}
	other := neuraltest.Spec("dlogistic:2", 1)
	mo, err := NewReal(Config{Cell: GRU, Layers: 1, Hidden: 4}, other, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := mo.NewExactRealState().(intState).Ints(); err == nil {
		t.Error("bins a quarter apart were taken for integers")
	}
	g, _ := NewReal(Config{Cell: GRU, Layers: 1, Hidden: 4}, neuraltest.Spec("gaussian", 1), 1)
	if _, _, err := g.NewExactRealState().(intState).Ints(); err == nil {
		t.Error("a Gaussian head offers integer frequencies")
	}
}
