package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/internal/testutil"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/train"
)

// The demo's neural model trained for real, as benchmarks: one iteration
// is a whole training run (half a minute to a minute on two cores), so run
// them one at a time with a single iteration:
//
//	go test -run '^$' -bench DemoGPTShakespeare -benchtime 1x ./cmd/autoreg
//	go test -run '^$' -bench DemoGPTGo -benchtime 1x ./cmd/autoreg
//	DEMO_CFG=2,128,4,64,16,500,3e-3 go test -run '^$' -bench DemoGPTGo -benchtime 1x ./cmd/autoreg
//
// DEMO_CFG="layers,dim,heads,context,batch,steps,lr" replaces the shipped
// settings (demo_neural.go) in both, to tune them.

// BenchmarkDemoGPTShakespeare trains the demo GPT on the first 90% of tiny
// Shakespeare and reports its training speed, last training loss and the
// held-out loss on the last 10% (nats per character).
func BenchmarkDemoGPTShakespeare(b *testing.B) {
	path := testutil.SharedFile(b, "data/tinyshakespeare/input.txt")
	ctx := context.Background()
	demoConfigFromEnv(b)
	docs, _ := corpus.Files([]string{path}, corpus.Options{})
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		b.Fatal(err)
	}
	toks, _, err := corpus.Load(ctx, docs, tok, corpus.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cut := len(toks) * 9 / 10
	for b.Loop() {
		start := time.Now()
		var last train.Progress
		m, err := demoGPT(ctx, toks[:cut], tok.Vocab(), 1, func(p train.Progress) { last = p })
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		s := eval.NewScorer(m)
		s.Add(append(toks[cut:cut+1:cut+1], toks[cut+1:]...))
		r := s.Result()
		if math.IsNaN(r.NLL) {
			b.Fatal("held-out loss is NaN")
		}
		b.ReportMetric(float64(last.Tokens)/el.Seconds(), "train-tok/s")
		b.ReportMetric(last.Loss, "train-loss")
		b.ReportMetric(r.NLL/float64(r.Tokens), "held-out-nats/char")
	}
}

// BenchmarkDemoGPTGo trains the demo GPT on the training part of the
// demo's Go corpus (the Go distribution's sources) and scores the
// held-out part, the measure the shipped settings were tuned on (bits
// per character); it skips where no Go sources are found.
func BenchmarkDemoGPTGo(b *testing.B) {
	ctx := context.Background()
	demoConfigFromEnv(b)
	_, _, trainDocs, held, err := goFiles(ctx)
	if err != nil {
		b.Skip(err)
	}
	tok, err := corpus.LearnTokenizer(ctx, trainDocs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		b.Fatal(err)
	}
	toks, _, err := corpus.Load(ctx, trainDocs, tok, corpus.TokenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("demo GPT %+v %+v", demoGPTConfig, demoGPTOpts)
	for b.Loop() {
		start := time.Now()
		var last train.Progress
		m, err := demoGPT(ctx, toks, tok.Vocab(), 1, func(p train.Progress) { last = p })
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		t0 := time.Now()
		res, err := eval.Run(ctx, m, tok, held, eval.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if math.IsNaN(res.NLL) {
			b.Fatal("held-out loss is NaN")
		}
		b.ReportMetric(float64(last.Tokens)/el.Seconds(), "train-tok/s")
		b.ReportMetric(last.Loss, "train-loss")
		b.ReportMetric(res.BitsPerChar(), "held-out-bits/char")
		b.ReportMetric(float64(res.Tokens)/time.Since(t0).Seconds(), "eval-tok/s")
	}
}

// demoConfigFromEnv replaces the demo's model and training settings by
// DEMO_CFG="layers,dim,heads,context,batch,steps,lr" when it is set.
func demoConfigFromEnv(b *testing.B) {
	c := os.Getenv("DEMO_CFG")
	if c == "" {
		return
	}
	var lr float64
	cfg, opts := &demoGPTConfig, &demoGPTOpts
	if _, err := fmt.Sscanf(c, "%d,%d,%d,%d,%d,%d,%g", &cfg.Layers, &cfg.Dim, &cfg.Heads, &cfg.Context,
		&opts.Batch, &opts.Steps, &lr); err != nil {
		b.Fatalf("DEMO_CFG=%q: want layers,dim,heads,context,batch,steps,lr: %v", c, err)
	}
	opts.Context, opts.LR, opts.Warmup = cfg.Context, lr, opts.Steps/20
}
