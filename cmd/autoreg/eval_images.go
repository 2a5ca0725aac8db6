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
	binarize string, seed uint64, marginal, asJSON bool) error {
	ctl, err := corpus.ParseControl(f.Meta.Control)
	if err != nil {
		return fmt.Errorf("%s: %v", f.Meta.Family, err)
	}
	classes := tok.Vocab().Controls
	if marginal {
		if len(classes) == 0 {
			return usagef("--marginal: the model has no classes")
		}
		ctl = corpus.Control{} // every class is tried: the data's own are not needed
	}
	bin, err := corpus.ParseBinarize(binarize)
	if err != nil {
		return usagef("--binarize: %v", err)
	}
	set, err := loadImageSet(ctx, stderr, docs, ctl)
	if err != nil {
		return err
	}
	start := time.Now()
	var res eval.Result
	if marginal {
		if res, err = marginalNLL(ctx, stderr, f, tok, set, bin, seed); err != nil {
			return err
		}
	} else {
		seqs, err := set.Sequences(tok, bin, seed)
		if err != nil {
			return err
		}
		pr := newProgress(stderr, "scoring")
		res, err = eval.RunSequences(ctx, f.Model, seqs, eval.SequenceOptions{Progress: func(done, total int) { pr.count(done, total, "images") }})
		pr.done()
		if err != nil {
			return err
		}
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
		out["marginal"] = marginal
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
	how := ""
	switch {
	case marginal:
		how = fmt.Sprintf(" (marginal over the %d classes, uniform prior)", len(classes))
	case len(classes) > 0:
		how = " (given each image's class)"
	}
	fmt.Fprintf(stdout, "NLL         %.2f nats, %.2f nats per image%s\n", res.NLL, res.NLLPerSequence(), how)
	fmt.Fprintf(stdout, "bits        %.4f per dimension (sample), %.4f per token\n", res.BitsPerToken(), res.BitsPerToken())
	fmt.Fprintf(stdout, "speed       %.1f images/s, %.0f samples/s\n", float64(res.Sequences)/el.Seconds(), float64(res.Tokens)/el.Seconds())
	return nil
}

// marginalNLL scores every image under every class of a class-conditional
// model and sums −log Σ_c P(c) P(x | c) over the images (eval.Marginal,
// uniform prior): its unconditional likelihood.
func marginalNLL(ctx context.Context, stderr io.Writer, f *modelfile.File, tok *tokenize.Pixels, set *corpus.ImageSet,
	bin corpus.Binarize, seed uint64) (eval.Result, error) {
	classes := tok.Vocab().Controls
	nll := make([][]float64, len(set.Images))
	for i := range nll {
		nll[i] = make([]float64, len(classes))
	}
	var res eval.Result
	pr := newProgress(stderr, "scoring")
	for ci, c := range classes {
		as := &corpus.ImageSet{Images: set.Images, Classes: make([]string, len(set.Images)), Files: set.Files}
		for i := range as.Classes {
			as.Classes[i] = c
		}
		seqs, err := as.Sequences(tok, bin, seed)
		if err != nil {
			return res, err
		}
		n := len(set.Images)
		r, err := eval.RunSequences(ctx, f.Model, seqs, eval.SequenceOptions{
			Progress: func(done, total int) { pr.count(ci*n+done, len(classes)*n, "image classes") },
			Each:     func(i int, v float64) { nll[i][ci] = v },
		})
		if err != nil {
			return res, err
		}
		res = r
	}
	pr.done()
	res.NLL, res.NLLExclOOV = 0, 0
	for _, v := range nll {
		res.NLL += eval.Marginal(v)
	}
	res.NLLExclOOV = res.NLL
	return res, nil
}
