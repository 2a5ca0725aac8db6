package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/tokenize"
)

// conditionFlags are the conditions of `autoreg sample` besides the
// prompt: an encoder-decoder's source, a fill-in-the-middle suffix.
type conditionFlags struct {
	source    string
	hasSource bool
	suffix    string // printed after the middle
	hasSuffix bool
	order     string
}

func (c *conditionFlags) register(fs *flag.FlagSet) {
	fs.Func("source", "encoder-decoders: the source `TEXT` to transform (the prompt, if any, starts the target)", func(s string) error {
		c.source, c.hasSource = s, true
		return nil
	})
	fs.Func("suffix", "fill in the middle: generate the text between --prompt and this `TEXT` (a model trained with --fim-rate), ending where the model ends the middle", func(s string) error {
		c.suffix, c.hasSuffix = s, true
		return nil
	})
	fs.StringVar(&c.order, "fim-order", "spm", "with --suffix: the layout the model reads both sides in: `spm` (<PRE> <SUF> suffix <MID> prompt) or psm (<PRE> prompt <SUF> suffix <MID>)")
}

// infill returns, given --suffix, the model of middles between the prompt
// (its tokens ids, <s> first) and the suffix, and the empty prompt to
// start it from; otherwise m and ids unchanged. maxTok is the middle's
// budget.
func (c *conditionFlags) infill(stderr io.Writer, f *modelfile.File, m autoreg.Model, ids []autoreg.Token, maxTok int) (autoreg.Model, []autoreg.Token, error) {
	if !c.hasSuffix {
		return m, ids, nil
	}
	if c.hasSource {
		return nil, nil, usagef("--suffix and --source exclude each other")
	}
	if _, ok := fim.Lookup(m.Vocab()); !ok {
		return nil, nil, usagef("--suffix: the model was not trained to fill in the middle (train it with --fim-rate)")
	}
	suf, err := tokenize.Encode(f.Tokenizer, c.suffix)
	if err != nil {
		return nil, nil, fmt.Errorf("--suffix: %v", err)
	}
	suf = append(suf, m.Vocab().EOS()) // the suffix ends the text
	budget := len(ids) + len(suf)
	if w, ok := m.(interface{ ContextLen() int }); ok {
		T := w.ContextLen()
		budget = T - fim.Overhead - min(maxTok, T/2)
		if len(ids)+len(suf) > budget {
			fmt.Fprintf(stderr, "warning: the prompt and suffix are cut to %d tokens to fit the context\n", budget)
		}
	}
	order, err := fim.ParseOrder(c.order)
	if err != nil {
		return nil, nil, usagef("--fim-order: %v", err)
	}
	p, s := fim.Fit(ids, suf, budget)
	im, err := fim.Infill(m, p, s, order)
	return im, nil, err
}

// model returns the model to decode from: f's model, or given --source
// the encoder-decoder conditioned on it.
func (c *conditionFlags) model(stderr io.Writer, f *modelfile.File, path string) (autoreg.Model, error) {
	_, isCond := f.Model.(autoreg.Conditional)
	switch {
	case !c.hasSource && !isCond:
		return f.Model, nil
	case !c.hasSource:
		return nil, usagef("%s is an encoder-decoder: give the --source to transform", path)
	}
	cond, err := conditional(f, path)
	if err != nil {
		return nil, err
	}
	src, err := tokenize.Encode(f.SourceTokenizer, c.source)
	if err != nil {
		return nil, fmt.Errorf("--source: %v", err)
	}
	if n := countToken(src, f.SourceTokenizer.Vocab().UNK()); n > 0 {
		fmt.Fprintf(stderr, "warning: the source has %d token(s) unknown to the model\n", n)
	}
	m, err := cond.Condition(src)
	if err != nil {
		return nil, fmt.Errorf("--source: %v", err)
	}
	return m, nil
}
