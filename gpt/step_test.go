package gpt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// TestStepBitIdentical: a sequence stepped in batches of every size, at
// every place in the batch and beside sequences at other positions, gets
// at every position exactly the log-probabilities it gets alone, through
// window shifts and for every layout of a generated token's phases.
func TestStepBitIdentical(t *testing.T) {
	for _, cfg := range []Config{
		{Layers: 2, Dim: 64, Heads: 2, Context: 24},  // hs 32: heads compute their own q, k, v
		{Layers: 2, Dim: 18, Heads: 3, Context: 24},  // hs 6: a QKV phase first
		{Layers: 1, Dim: 256, Heads: 4, Context: 20}, // 8 MLP slices
		{Layers: 1, Dim: 100, Heads: 5, Context: 12}, // a partial last panel
	} {
		t.Run(fmt.Sprintf("C%d_H%d_T%d", cfg.Dim, cfg.Heads, cfg.Context), func(t *testing.T) {
			m := perturbed(t, cfg, 7)
			rng := rand.New(rand.NewPCG(8, 9))
			const nseq, steps = 9, 40
			seqs := make([][]autoreg.Token, nseq)
			for i := range seqs {
				plen := 1 + rng.IntN(cfg.Context+3) // some prompts overflow the window
				for _, x := range neuraltest.RandTokens(rng, plen+steps, m.V) {
					seqs[i] = append(seqs[i], autoreg.Token(x))
				}
			}
			V := m.V
			// Alone: the log-probabilities after the prompt and after each
			// appended token.
			want := make([][]float32, nseq)
			for i, seq := range seqs {
				st := m.NewState()
				plen := len(seq) - steps
				st.Append(seq[:plen]...)
				want[i] = make([]float32, (steps+1)*V)
				st.LogProbs(want[i][:V])
				for j := range steps {
					st.Append(seq[plen+j])
					st.LogProbs(want[i][(j+1)*V : (j+2)*V])
				}
			}
			// Batched: every round steps a random subset in a random order,
			// so batch sizes, places and positions all vary.
			states := make([]autoreg.State, nseq)
			done := make([]int, nseq)
			for i, seq := range seqs {
				states[i] = m.NewState()
				states[i].Append(seq[:len(seq)-steps]...)
			}
			lp := make([]float32, V)
			check := func(i int) {
				states[i].LogProbs(lp)
				w := want[i][done[i]*V : (done[i]+1)*V]
				for k := range lp {
					if math.Float32bits(lp[k]) != math.Float32bits(w[k]) {
						t.Fatalf("sequence %d after %d steps: log P(%d) = %v batched, %v alone", i, done[i], k, lp[k], w[k])
					}
				}
			}
			for i := range nseq {
				check(i)
			}
			var batch []autoreg.State
			var xs []autoreg.Token
			var who []int
			sizes := map[int]bool{}
			for round := 0; ; round++ {
				batch, xs, who = batch[:0], xs[:0], who[:0]
				for _, i := range rng.Perm(nseq) {
					if done[i] < steps && (round%5 == 0 || rng.IntN(3) > 0) {
						seq := seqs[i]
						batch = append(batch, states[i])
						xs = append(xs, seq[len(seq)-steps+done[i]])
						who = append(who, i)
					}
				}
				if len(batch) == 0 {
					if slicesAll(done, steps) {
						break
					}
					continue
				}
				sizes[len(batch)] = true
				m.Step(batch, xs)
				for _, i := range who {
					done[i]++
					check(i)
				}
			}
			if len(sizes) < 4 {
				t.Errorf("only batch sizes %v were tried", sizes)
			}
		})
	}
}

func slicesAll(xs []int, v int) bool {
	for _, x := range xs {
		if x != v {
			return false
		}
	}
	return true
}

// TestStepMixed: exact-path states and repeated states are handled (the
// former alone, the latter rejected).
func TestStepMixed(t *testing.T) {
	m := perturbed(t, Config{Layers: 1, Dim: 64, Heads: 2, Context: 8}, 3)
	a, b := m.NewState(), m.NewExactState()
	a2, b2 := m.NewState(), m.NewExactState()
	for _, s := range []autoreg.State{a, b, a2, b2} {
		s.Append(1, 2, 3)
	}
	m.Step([]autoreg.State{a, b}, []autoreg.Token{4, 5})
	a2.Append(4)
	b2.Append(5)
	lp, lp2 := make([]float32, m.V), make([]float32, m.V)
	for _, p := range [][2]autoreg.State{{a, a2}, {b, b2}} {
		p[0].LogProbs(lp)
		p[1].LogProbs(lp2)
		for k := range lp {
			if math.Float32bits(lp[k]) != math.Float32bits(lp2[k]) {
				t.Fatalf("token %d: %v stepped, %v appended", k, lp[k], lp2[k])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("the same state twice: no panic")
		}
	}()
	m.Step([]autoreg.State{a, a}, []autoreg.Token{1, 2})
}

// TestStepAllocs: a batched step allocates nothing once warmed up.
func TestStepAllocs(t *testing.T) {
	m := perturbed(t, Config{Layers: 2, Dim: 64, Heads: 2, Context: 64}, 3)
	states := make([]autoreg.State, 6)
	xs := make([]autoreg.Token, 6)
	for i := range states {
		states[i] = m.NewState()
		states[i].Append(1, 2)
	}
	m.Step(states, xs)
	if n := testing.AllocsPerRun(20, func() { m.Step(states, xs) }); n > 0 {
		t.Errorf("%.1f allocations per step", n)
	}
}
