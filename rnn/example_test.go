package rnn_test

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/rnn"
)

// An untrained LSTM language model: a state steps through a prompt and
// gives a distribution over the next token.
func Example() {
	vocab := autoreg.Vocab{Base: 20}
	m, err := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 2, Hidden: 32, Embed: 16}, vocab, 1)
	if err != nil {
		panic(err)
	}
	st := m.NewState()
	st.Append(vocab.BOS(), 4, 2)
	lp := make([]float32, vocab.Size())
	st.LogProbs(lp)
	var sum float64
	for _, v := range lp {
		sum += math.Exp(float64(v))
	}
	fmt.Printf("tied output layer: %v, tokens: %d, sum of probabilities: %.4f\n", m.Config().Tied(), st.Len(), sum)
	// Output: tied output layer: false, tokens: 3, sum of probabilities: 1.0000
}
