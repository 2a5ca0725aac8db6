package train_test

import (
	"context"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/train"
)

// Train a tiny GPT on a repetitive sequence; the loss falls from about
// ln V to near zero.
func Example() {
	vocab := autoreg.Vocab{Base: 5}
	var toks []autoreg.Token
	for i := range 2000 {
		toks = append(toks, autoreg.Token(i%5))
	}
	m, _ := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 8}, vocab, 1)
	tr, _ := train.New(m, train.Options{Batch: 8, Context: 8, Steps: 60, LR: 1e-2, Warmup: 5, Seed: 1})
	if err := tr.Run(context.Background(), train.Data{Train: toks}); err != nil {
		panic(err)
	}
	first, last := tr.History[0], tr.History[len(tr.History)-1]
	fmt.Printf("first loss ≈ ln 8: %.1f\n", first.Loss)
	fmt.Printf("last loss below 0.1: %v\n", last.Loss < 0.1)
	// Output:
	// first loss ≈ ln 8: 2.1
	// last loss below 0.1: true
}
