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

// TestDemoGPTTiming trains the demo GPT on tiny Shakespeare and reports
// the time and the held-out loss (a measurement, run with -run DemoGPT -v).
func TestDemoGPTTiming(t *testing.T) {
	if os.Getenv("AUTOREG_DEMO_TIMING") == "" {
		t.Skip("set AUTOREG_DEMO_TIMING=1 to time the demo model")
	}
	path := testutil.SharedFile(t, "data/tinyshakespeare/input.txt")
	ctx := context.Background()
	docs, _ := corpus.Files([]string{path}, corpus.Options{})
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		t.Fatal(err)
	}
	toks, _, err := corpus.Load(ctx, docs, tok, corpus.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cut := len(toks) * 9 / 10
	start := time.Now()
	var last train.Progress
	m, err := demoGPT(ctx, toks[:cut], tok.Vocab(), 1, func(p train.Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	s := eval.NewScorer(m)
	s.Add(append(toks[cut:cut+1:cut+1], toks[cut+1:]...))
	r := s.Result()
	t.Logf("demo GPT: %d steps in %s (%.0f tok/s), last train loss %.3f, held-out %.3f nats/char",
		last.Step, el.Round(time.Millisecond), float64(last.Tokens)/el.Seconds(), last.Loss, r.NLL/float64(r.Tokens))
	if math.IsNaN(r.NLL) {
		t.Fatal("NaN")
	}
}

// TestDemoGPTTune trains the demo GPT on the demo's Go corpus and scores
// the held-out Go source (a tuning aid, run with AUTOREG_DEMO_TUNE=1 -run
// DemoGPTTune -v). DEMO_CFG="layers,dim,heads,context,batch,steps,lr"
// overrides the shipped settings.
func TestDemoGPTTune(t *testing.T) {
	if os.Getenv("AUTOREG_DEMO_TUNE") == "" {
		t.Skip("set AUTOREG_DEMO_TUNE=1 to tune the demo model")
	}
	ctx := context.Background()
	_, _, trainDocs, held, err := goFiles(ctx)
	if err != nil {
		t.Skip(err)
	}
	tok, err := corpus.LearnTokenizer(ctx, trainDocs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		t.Fatal(err)
	}
	toks, _, err := corpus.Load(ctx, trainDocs, tok, corpus.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := os.Getenv("DEMO_CFG"); c != "" {
		var lr float64
		cfg, opts := &demoGPTConfig, &demoGPTOpts
		if _, err := fmt.Sscanf(c, "%d,%d,%d,%d,%d,%d,%g", &cfg.Layers, &cfg.Dim, &cfg.Heads, &cfg.Context,
			&opts.Batch, &opts.Steps, &lr); err != nil {
			t.Fatal(err)
		}
		opts.Context, opts.LR, opts.Warmup = cfg.Context, lr, opts.Steps/20
	}
	start := time.Now()
	var last train.Progress
	m, err := demoGPT(ctx, toks, tok.Vocab(), 1, func(p train.Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t0 := time.Now()
	res, err := eval.Run(ctx, m, tok, held, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo GPT %+v %+v: %d steps in %s (%.0f tok/s), last train loss %.3f; held-out Go %.3f bits/char (eval %s, %.0f tok/s)",
		demoGPTConfig, demoGPTOpts, last.Step, el.Round(time.Millisecond), float64(last.Tokens)/el.Seconds(), last.Loss,
		res.BitsPerChar(), time.Since(t0).Round(time.Millisecond), float64(res.Tokens)/time.Since(t0).Seconds())
}
