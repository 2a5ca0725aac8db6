package seq2seq

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
)

// checkSeam is the seam's contract for any autoreg.Model, over the token
// sequence seq: distributions sum to one and hold no NaN; LogProb gives
// LogProbs' value at the token; appending seq in one call gives the bits
// of appending it token by token; CopyTo gives an independent copy that
// continues with its source's bits; Reset equals a fresh state; a
// generated token (Append of one, LogProbs, LogProb) allocates nothing
// after warm-up; the bits do not depend on GOMAXPROCS.
//
// It is written against the seam alone so that it can be replaced by the
// project's shared conformance suite (internal/modeltest) unchanged.
func checkSeam(t *testing.T, m autoreg.Model, seq []autoreg.Token) {
	t.Helper()
	V := m.Vocab().Size()
	lp, lq := make([]float32, V), make([]float32, V)
	run := func() [][]float32 {
		st := m.NewState()
		var out [][]float32
		for i, x := range seq {
			st.Append(x)
			st.LogProbs(lp)
			var sum float64
			for k, v := range lp {
				if v != v {
					t.Fatalf("after %d tokens: NaN at %d", i+1, k)
				}
				sum += math.Exp(float64(v))
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("after %d tokens: probabilities sum to %v", i+1, sum)
			}
			for k := range V {
				if got := st.LogProb(autoreg.Token(k)); math.Abs(got-float64(lp[k])) > 1e-6*math.Max(1, math.Abs(got)) {
					t.Fatalf("after %d tokens: LogProb(%d) = %v, LogProbs %v", i+1, k, got, lp[k])
				}
			}
			out = append(out, append([]float32(nil), lp...))
		}
		if st.Len() != len(seq) {
			t.Fatalf("Len %d after %d tokens", st.Len(), len(seq))
		}
		return out
	}
	want := run()
	for _, procs := range []int{1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		got := run()
		runtime.GOMAXPROCS(prev)
		for i := range want {
			if !sameBits(want[i], got[i]) {
				t.Fatalf("GOMAXPROCS=%d: log-probabilities after %d tokens differ", procs, i+1)
			}
		}
	}
	long := m.NewState()
	long.Append(seq...)
	long.LogProbs(lq)
	if !sameBits(lq, want[len(seq)-1]) {
		t.Fatal("appending the sequence at once differs from token by token")
	}

	// Copies: independent, and continuing with the source's bits.
	half := len(seq) / 2
	a, b := m.NewState(), m.NewState()
	a.Append(seq[:half]...)
	a.CopyTo(b)
	b.LogProbs(lq)
	a.Append(seq[half:]...)
	b.LogProbs(lp)
	if !sameBits(lp, lq) || b.Len() != half {
		t.Fatal("a copy changed with its source")
	}
	b.Append(seq[half:]...)
	b.LogProbs(lp)
	if !sameBits(lp, want[len(seq)-1]) {
		t.Fatal("a copy continued differently from its source")
	}
	a.Reset()
	fresh := m.NewState()
	a.Append(seq[0])
	fresh.Append(seq[0])
	a.LogProbs(lp)
	fresh.LogProbs(lq)
	if !sameBits(lp, lq) || a.Len() != 1 {
		t.Fatal("Reset differs from a fresh state")
	}

	// A generated token allocates nothing once warm.
	st := m.NewState()
	st.Append(seq...)
	st.Append(seq...)
	i, one := 0, make([]autoreg.Token, 1) // as decoders pass tokens
	allocs := testing.AllocsPerRun(100, func() {
		one[0] = seq[i%len(seq)]
		st.Append(one...)
		st.LogProbs(lp)
		_ = st.LogProb(seq[0])
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per generated token", allocs)
	}
}

// TestConformance runs the seam's contract on the model given a source,
// on the model itself (the empty source), and the conditional contract:
// states of different sources differ, and a copy carries its source.
func TestConformance(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 2, DecLayers: 2, Dim: 64, Heads: 4, FFN: 96, SrcContext: 12, Context: 10}, 23, 17)
	rng := rand.New(rand.NewPCG(11, 11))
	perturb(m, rng, 0.05)
	seq := append([]autoreg.Token{m.vocab.BOS()}, randSeq(rng, 24, m.vocab.Base)...) // past the window
	var c autoreg.Conditional = m
	src1, src2 := randSeq(rng, 7, 17), randSeq(rng, 4, 17)
	cm1, err := c.Condition(src1)
	if err != nil {
		t.Fatal(err)
	}
	cm2, _ := c.Condition(src2)
	t.Run("source", func(t *testing.T) { checkSeam(t, cm1, seq) })
	t.Run("empty source", func(t *testing.T) { checkSeam(t, m, seq) })

	lp1, lp2 := make([]float32, m.V), make([]float32, m.V)
	a, b := cm1.NewState(), cm2.NewState()
	a.Append(seq[:3]...)
	b.Append(seq[:3]...)
	a.LogProbs(lp1)
	b.LogProbs(lp2)
	if sameBits(lp1, lp2) {
		t.Fatal("two sources predict the same distribution")
	}
	a.CopyTo(b) // a state of another source
	b.LogProbs(lp2)
	if !sameBits(lp1, lp2) {
		t.Fatal("CopyTo across sources did not carry the source")
	}
	if _, ok := cm1.(autoreg.Stepper); !ok {
		t.Fatal("a conditioned model is not a Stepper")
	}
}
