package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/tensor"
)

// A Stack declared in an arena of its own, for the backward pass through
// its inputs and initial state: the loss Σ w⊙out (w fixed and random) is
// differentiated by central differences with respect to the weights, the
// inputs and the initial state (which Backward writes into dCarry).
func TestStackGrad(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: LSTM, Layers: 2, Hidden: 6, Embed: 4},
		{Cell: GRU, Layers: 2, Hidden: 5, Embed: 3},
		{Cell: LSTM, Layers: 1, Hidden: 4, Embed: 7, Dropout: 0.3},
	} {
		var b tensor.Builder
		b.Add("other", false, 3) // the stack need not start the arena
		st, err := NewStack(&b, "enc.", cfg)
		if err != nil {
			t.Fatal(err)
		}
		a := b.Build()
		rng := rand.New(rand.NewPCG(1, 7))
		for i := range a.Params {
			a.Params[i] = float32(0.4 * rng.NormFloat64())
		}
		B, T, H := 3, 5, cfg.Hidden
		in := make([]float32, B*T*st.In())
		carry0 := make([]float32, B*st.StateLen())
		w := make([]float32, B*T*H)
		for _, s := range [][]float32{in, carry0, w} {
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
		}
		var acts StackActs
		carry := make([]float32, len(carry0))
		loss := func() float64 {
			copy(carry, carry0)
			// The same dropout masks at every evaluation.
			out := st.Forward(a, &acts, in, carry, B, T, rand.New(rand.NewPCG(3, 3)))
			var s float64
			for i, o := range out {
				s += float64(o) * float64(w[i])
			}
			return s
		}
		a.ZeroGrad()
		loss()
		dCarry := make([]float32, len(carry0))
		dIn := append([]float32(nil), st.Backward(a, &acts, w, dCarry)...)
		label := fmt.Sprintf("%s %d×%d ", cfg.Cell, cfg.Layers, H)
		neuraltest.CheckArenaGrads(t, a, loss, rng, 10, label)
		check := func(what string, x, g []float32) {
			for i := range x {
				num := testutil.CentralDiff(x, i, 1e-2, loss)
				if math.Abs(num-float64(g[i])) > 2e-2*math.Abs(num)+2e-3 {
					t.Errorf("%s%s[%d]: analytic %.6g numeric %.6g", label, what, i, g[i], num)
				}
			}
		}
		check("input", in, dIn)
		check("initial state", carry0, dCarry)
	}
}

// Step, one sequence at a time, follows Forward's states.
func TestStackStep(t *testing.T) {
	cfg := Config{Cell: LSTM, Layers: 2, Hidden: 6, Embed: 4}
	var b tensor.Builder
	st, _ := NewStack(&b, "", cfg)
	a := b.Build()
	rng := rand.New(rand.NewPCG(2, 7))
	for i := range a.Params {
		a.Params[i] = float32(0.4 * rng.NormFloat64())
	}
	B, T, H, L := 2, 4, cfg.Hidden, cfg.Layers
	in := make([]float32, B*T*st.In())
	carry := make([]float32, B*st.StateLen())
	for _, s := range [][]float32{in, carry} {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	// Sequence 1's state, in the step layout (L,H) for h and for c.
	h, c := make([]float32, L*H), make([]float32, L*H)
	for l := range L {
		copy(h[l*H:], carry[(l*B+1)*H:(l*B+2)*H])
		copy(c[l*H:], carry[((L+l)*B+1)*H:((L+l)*B+2)*H])
	}
	var acts StackActs
	out := st.Forward(a, &acts, in, carry, B, T, nil)
	buf := st.NewStepBuf()
	E := st.In()
	for s := range T {
		st.Step(a, &buf, h, c, in[(s*B+1)*E:(s*B+2)*E])
		for j := range H {
			if d := math.Abs(float64(h[(L-1)*H+j] - out[(s*B+1)*H+j])); d > 1e-5 {
				t.Fatalf("step %d: h[%d] %v, Forward %v", s, j, h[(L-1)*H+j], out[(s*B+1)*H+j])
			}
		}
	}
}
