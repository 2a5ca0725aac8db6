package vae_test

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/vae"
)

// An untrained sentence VAE: encode a sentence into its posterior, then
// decode from the posterior mean through the seam, as from any model.
func Example() {
	vocab := autoreg.Vocab{Base: 20}
	m, err := vae.New(vae.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 32, Latent: 8}, vocab, 1)
	if err != nil {
		panic(err)
	}
	sentence := []autoreg.Token{4, 2, 7, vocab.EOS()} // a sequence as the seam has it: tokens, then </s>
	mean, logVar := make([]float64, m.LatentDim()), make([]float64, m.LatentDim())
	if err := m.Posterior(sentence, mean, logVar); err != nil {
		panic(err)
	}
	dec, err := m.WithLatent(mean) // the model of sentences given z = μ(x)
	if err != nil {
		panic(err)
	}
	st := dec.NewState()
	st.Append(vocab.BOS(), 4)
	lp := make([]float32, vocab.Size())
	st.LogProbs(lp)
	var sum float64
	for _, v := range lp {
		sum += math.Exp(float64(v))
	}
	fmt.Printf("code of %d dimensions; after %d tokens the probabilities sum to %.4f\n", len(mean), st.Len(), sum)
	// Output: code of 8 dimensions; after 2 tokens the probabilities sum to 1.0000
}
