package main

import (
	"context"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/train"
)

// Demo GPT: small enough to train in about half a minute on two cores, big
// enough to beat a unigram by far and write recognizable text. Tuned on the
// demo's Go corpus (BenchmarkDemoGPTGo; held-out Go source, bits/char): at
// this size the budget of steps matters most (500 steps: 3.76, 1,000:
// 3.14), and 3e-3 is the best peak learning rate (500 steps: 1e-3 3.99,
// 2e-3 3.86, 6e-3 4.28, 1e-2 4.46); a third layer, a wider model or a
// larger batch cost more time than they gain.
var (
	demoGPTConfig = gpt.Config{Layers: 2, Dim: 128, Heads: 4, Context: 64}
	demoGPTOpts   = train.Options{Batch: 16, Context: 64, Steps: 1000, LR: 3e-3, Warmup: 50,
		WeightDecay: 0.1, Clip: 1}
)

// demoGPT trains the demo's neural model on the training tokens (a stream
// of BOS … EOS sequences from corpus.Load) with a fixed budget of steps,
// so the result depends only on the data and the seed. onStep (may be nil)
// receives progress after every step.
func demoGPT(ctx context.Context, toks []autoreg.Token, vocab autoreg.Vocab, seed uint64, onStep func(train.Progress)) (*gpt.Model, error) {
	m, err := gpt.New(demoGPTConfig, vocab, seed)
	if err != nil {
		return nil, err
	}
	opts := demoGPTOpts
	opts.Seed = seed
	tr, err := train.New(m, opts)
	if err != nil {
		return nil, err
	}
	tr.OnStep = onStep
	if err := tr.Run(ctx, train.Data{Train: toks}); err != nil {
		return nil, err
	}
	return m, nil
}
