package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/eval"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// evalImages scores images with a model of the pixel tokenizer: every
// image is <s>, its class's control code (from the model's control rule),
// its samples; it prints the field's units, nats per image and bits per
// dimension, beside the bits per token (the same here: every token is a
// sample).
func evalImages(ctx context.Context, stdout, stderr io.Writer, f *modelfile.File, tok *tokenize.Pixels, docs []corpus.Doc,
	binarize string, seed uint64, asJSON bool) error {
	ctl, err := corpus.ParseControl(f.Meta.Control)
	if err != nil {
		return fmt.Errorf("%s: %v", f.Meta.Family, err)
	}
	bin, err := corpus.ParseBinarize(binarize)
	if err != nil {
		return usagef("--binarize: %v", err)
	}
	set, err := loadImageSet(ctx, stderr, docs, ctl)
	if err != nil {
		return err
	}
	seqs, err := set.Sequences(tok, bin, seed)
	if err != nil {
		return err
	}
	start := time.Now()
	pr := newProgress(stderr, "scoring")
	res, err := eval.RunSequences(ctx, f.Model, seqs, func(done, total int) { pr.count(done, total, "images") })
	pr.done()
	if err != nil {
		return err
	}
	el := time.Since(start)
	res.Files = set.Files
	if asJSON {
		out := map[string]any{"images": res.Sequences, "samples": res.Tokens, "nll_nats": res.NLL,
			"nats_per_image": res.NLLPerSequence(), "bits_per_dim": res.BitsPerToken(), "bits_per_token": res.BitsPerToken(),
			"shape": tok.Shape(), "levels": tok.Levels(), "files": res.Files, "seconds": el.Seconds()}
		if tok.Levels() == 2 && set.Images[0].MaxVal > 1 {
			out["binarize"] = bin.String()
		}
		for k, v := range out {
			if x, ok := v.(float64); ok && (math.IsInf(x, 0) || math.IsNaN(x)) {
				out[k] = nil
			}
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	note := binarizeNote(tok, bin)
	if set.Images[0].MaxVal == 1 {
		note = " (bilevel data, read as it is)"
	}
	fmt.Fprintf(stdout, "images      %s of %s, %d levels%s, from %d files\n", thousands(res.Sequences), tok.Shape(), tok.Levels(), note, res.Files)
	fmt.Fprintf(stdout, "samples     %s scored\n", thousands(res.Tokens))
	fmt.Fprintf(stdout, "NLL         %.2f nats, %.2f nats per image\n", res.NLL, res.NLLPerSequence())
	fmt.Fprintf(stdout, "bits        %.4f per dimension (sample), %.4f per token\n", res.BitsPerToken(), res.BitsPerToken())
	fmt.Fprintf(stdout, "speed       %.1f images/s, %.0f samples/s\n", float64(res.Sequences)/el.Seconds(), float64(res.Tokens)/el.Seconds())
	return nil
}
