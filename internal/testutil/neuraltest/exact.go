package neuraltest

import (
	"math"
	"testing"

	"github.com/autoreg/autoreg"
)

// ExactModel is a neural family's model with a bit-exact inference path
// (lmzip's numeric path 2).
type ExactModel interface {
	autoreg.Model
	NewExactState() autoreg.State
}

// CheckExactState is the conformance test of an exact state against the
// fast one over seq (which should outrun the model's context window): after
// seq[0], every next-token distribution agrees within relative 1e-4 (for
// log-probabilities of magnitude at least 1, absolute 1e-4 below) and sums
// to 1; LogProb gives LogProbs' bits; appending seq in one call gives the
// bits of appending it token by token; a copy continues with its source's
// bits and is independent; Reset starts over with a fresh state's bits.
func CheckExactState(t *testing.T, m ExactModel, seq []autoreg.Token) {
	t.Helper()
	V := m.Vocab().Size()
	fast, exact := m.NewState(), m.NewExactState()
	if b, ok := exact.(interface{ BitExactLogProbs() bool }); !ok || !b.BitExactLogProbs() {
		t.Fatal("the exact state does not declare BitExactLogProbs")
	}
	if b, ok := fast.(interface{ BitExactLogProbs() bool }); ok && b.BitExactLogProbs() {
		t.Fatal("the fast state declares BitExactLogProbs")
	}
	lf, le := make([]float32, V), make([]float32, V)
	exactAt := make([][]float32, len(seq)) // exact log-probs after seq[:i+1]
	worst := 0.0
	for i, x := range seq {
		fast.Append(x)
		exact.Append(x)
		fast.LogProbs(lf)
		exact.LogProbs(le)
		exactAt[i] = append([]float32(nil), le...)
		var sum float64
		for k := range le {
			d := math.Abs(float64(le[k]-lf[k])) / math.Max(1, math.Abs(float64(lf[k])))
			if d > 1e-4 {
				t.Fatalf("after %d tokens, token %d: exact %v, fast %v", i+1, k, le[k], lf[k])
			}
			worst = math.Max(worst, d)
			sum += math.Exp(float64(le[k]))
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("after %d tokens: probabilities sum to %v", i+1, sum)
		}
		if i+1 < len(seq) && exact.LogProb(seq[i+1]) != float64(le[seq[i+1]]) {
			t.Fatalf("after %d tokens: LogProb %v, LogProbs %v", i+1, exact.LogProb(seq[i+1]), le[seq[i+1]])
		}
	}
	t.Logf("%d positions: worst relative difference exact vs fast %.3g", len(seq), worst)

	same := func(what string, st autoreg.State, want []float32) {
		t.Helper()
		st.LogProbs(le)
		for k := range le {
			if math.Float32bits(le[k]) != math.Float32bits(want[k]) {
				t.Fatalf("%s: token %d: %v, token by token %v", what, k, le[k], want[k])
			}
		}
	}
	long := m.NewExactState()
	long.Append(seq[:len(seq)/3]...)
	same("a long Append", long, exactAt[len(seq)/3-1])
	long.Append(seq[len(seq)/3:]...)
	same("two long Appends", long, exactAt[len(seq)-1])

	cp := m.NewExactState()
	half := m.NewExactState()
	half.Append(seq[:len(seq)/2]...)
	half.CopyTo(cp)
	half.Append(seq[0], seq[1])
	cp.Append(seq[len(seq)/2:]...)
	same("a copy", cp, exactAt[len(seq)-1])

	cp.Reset()
	cp.Append(seq[0])
	same("after Reset", cp, exactAt[0])
}
