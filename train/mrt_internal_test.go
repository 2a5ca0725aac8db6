package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tensor"
)

var _ RowWeighted = (*seq2seq.Model)(nil)

// The gradient minimum risk training back-propagates (candidate weights
// −α Q (Δ − R) through BackwardRows) is the gradient of the risk
// Σ_x Σ_y Q(y|x) Δ(y, y*) for a fixed candidate set: central differences
// agree on the parameters with the largest gradients.
func TestMRTGradient(t *testing.T) {
	v := autoreg.Vocab{Base: 6}
	m, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 1, Dim: 8, Heads: 2, FFN: 16, SrcContext: 8, Context: 8}, v, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	seq := func(n int) []autoreg.Token {
		s := make([]autoreg.Token, n)
		for i := range s {
			s[i] = autoreg.Token(rng.IntN(v.Base))
		}
		return s
	}
	var cands []corpus.Pair
	var group []int
	var cost []float64
	for g := range 3 {
		src := seq(3 + g)
		for range 4 {
			cands = append(cands, corpus.Pair{Src: src, Tgt: seq(1 + rng.IntN(5))})
			group = append(group, g)
			cost = append(cost, float64(rng.IntN(5)))
		}
	}
	idx := make([]int32, len(cands))
	for i := range idx {
		idx[i] = int32(i)
	}
	const alpha = 0.7
	var p pairArrays
	w := make([]float32, len(cands))
	risk := func() float64 {
		p.fill(cands, idx, m)
		m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, nil)
		logp := rowLogProbs(nil, m.Losses(), p.B, p.T)
		var sum float64
		for _, r := range mrtWeights(w, logp, cost, group, 3, alpha, 1) {
			sum += r
		}
		return sum
	}
	checkRiskGradient(t, m.Arena(), risk, func() { m.BackwardRows(w) })
}

// checkRiskGradient checks the gradient backward leaves in a's gradients
// after risk() (a forward pass computing the risk) against central
// differences of risk on the 20 parameters with the largest gradients.
func checkRiskGradient(t *testing.T, a *tensor.Arena, risk func() float64, backward func()) {
	t.Helper()
	clear(a.Grads)
	risk()
	backward()
	grad := slices.Clone(a.Grads)
	order := make([]int, len(grad))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return -cmpAbs(grad[i], grad[j]) })
	const h = 1e-2
	for _, i := range order[:20] {
		old := a.Params[i]
		a.Params[i] = old + h
		up := risk()
		a.Params[i] = old - h
		down := risk()
		a.Params[i] = old
		num := (up - down) / (2 * h)
		if d := math.Abs(num - float64(grad[i])); d > 0.03*math.Abs(num)+2e-4 {
			t.Errorf("parameter %d: backward %.6g, central difference %.6g", i, grad[i], num)
		}
	}
	if grad[order[0]] == 0 {
		t.Fatal("zero gradient")
	}
}

func cmpAbs(a, b float32) int {
	switch x, y := math.Abs(float64(a)), math.Abs(float64(b)); {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}
