package train_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/series"
	"github.com/autoreg/autoreg/tokenize"
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

// Train a small GPT on a text, checkpoint it, and read the checkpoint back
// to continue: NewModel builds any trainable family from an Arch.
func ExampleNewModel() {
	ctx := context.Background()
	docs := []corpus.Doc{corpus.TextDoc("train", strings.Repeat("abcd efgh ", 200))}
	tok, err := corpus.LearnTokenizer(ctx, docs, corpus.TokenizerOptions{Kind: tokenize.KindChar})
	if err != nil {
		panic(err)
	}
	toks, _, err := corpus.Load(ctx, docs, tok, corpus.TokenOptions{})
	if err != nil {
		panic(err)
	}
	m, err := train.NewModel(train.Arch{Family: "gpt", Layers: 1, Dim: 32, Heads: 2, Context: 16}, tok.Vocab(), 1)
	if err != nil {
		panic(err)
	}
	meta, err := train.Meta(m, corpus.Stream, corpus.Control{})
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "train-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "abcd.arm")

	tr, err := train.New(m, train.Options{Batch: 8, Context: 16, Steps: 40, LR: 1e-2, Warmup: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	// Save a resumable checkpoint (a model file eval and sample read too).
	tr.Checkpoint = func(t *train.Trainer, r train.SaveReason) (string, error) {
		return path, t.Save(path, meta, tok, true)
	}
	if err := tr.Run(ctx, train.Data{Train: toks}); err != nil {
		panic(err)
	}
	first, last := tr.History[0], tr.History[len(tr.History)-1]
	fmt.Printf("first loss %.1f ≈ ln %d, last below 0.5: %v\n", first.Loss, tok.Vocab().Size(), last.Loss < 0.5)

	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		panic(err)
	}
	fmt.Println("checkpoint:", ck.Meta.Family, "at step", ck.Trainer.Step)
	// Output:
	// first loss 2.5 ≈ ln 12, last below 0.5: true
	// checkpoint: gpt at step 40
}

// Train an LSTM with a Gaussian head on a noisy weekly pattern, validating
// on the end of the series, and forecast the next step: NewRealModel
// builds a real-valued network from an Arch and a Real.
func ExampleNewRealModel() {
	pattern := []float64{100, 130, 140, 120, 90, 60, 80}
	xs := make([]float64, 700)
	for t := range xs {
		xs[t] = pattern[t%7] + float64((t*37)%11-5)
	}
	head, _ := dist.ParseHead("gaussian")
	mean, std, _ := series.MeanStd([][]float64{xs[:600]}, 1, false)
	m, err := train.NewRealModel(train.Arch{Family: "lstm", Layers: 1, Dim: 16},
		train.Real{Head: head, Lags: []int{7}, Mean: mean, Scale: std, Highway: true}, 1)
	if err != nil {
		panic(err)
	}
	tr, _ := train.New(m, train.Options{Batch: 4, Context: 32, Steps: 150, LR: 1e-2, Warmup: 5, Seed: 1})
	if err := tr.Run(context.Background(), train.Data{Series: []train.Series{{Values: xs, Train: 600}}}); err != nil {
		panic(err)
	}
	// The validation loss is the NLL per value of the last 100 steps,
	// standardized: a climatology (the series' own spread) would score 1.42.
	fmt.Printf("validation NLL below 0.5: %v\n", tr.BestVal < 0.5)
	st := m.NewRealState()
	st.Append(xs...)
	fmt.Printf("next step (a %g in the pattern) predicted within 15: %v\n", pattern[700%7], math.Abs(st.Predict().Mean(0)-pattern[700%7]) < 15)
	// Output:
	// validation NLL below 0.5: true
	// next step (a 100 in the pattern) predicted within 15: true
}
