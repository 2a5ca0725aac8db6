package gpt_test

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
)

// A freshly initialized model predicts nearly uniformly: its
// log-probabilities sum (as probabilities) to one and sit near −ln V.
func Example() {
	vocab := autoreg.Vocab{Base: 29}
	m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 4, Context: 16}, vocab, 1)
	if err != nil {
		panic(err)
	}
	st := m.NewState()
	st.Append(vocab.BOS(), 3, 1, 4) // a prompt: one batched pass
	lp := make([]float32, vocab.Size())
	st.LogProbs(lp)
	var sum float64
	for _, v := range lp {
		sum += math.Exp(float64(v))
	}
	fmt.Printf("parameters %d, tokens %d\n", m.Arena().Count(), st.Len())
	fmt.Printf("sum of probabilities %.4f\n", sum)
	fmt.Printf("log P(5 | prompt) within 0.3 of −ln 32: %v\n", math.Abs(st.LogProb(5)+math.Log(32)) < 0.3)
	// Output:
	// parameters 27008, tokens 4
	// sum of probabilities 1.0000
	// log P(5 | prompt) within 0.3 of −ln 32: true
}
