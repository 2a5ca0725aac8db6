package main

import (
	"flag"
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/modelfile"
)

// conditionFlags are the conditions of `autoreg sample` besides the
// prompt: an encoder-decoder's source.
type conditionFlags struct {
	source    string
	hasSource bool
}

func (c *conditionFlags) register(fs *flag.FlagSet) {
	fs.Func("source", "encoder-decoders: the source `TEXT` to transform (the prompt, if any, starts the target)", func(s string) error {
		c.source, c.hasSource = s, true
		return nil
	})
}

// model returns the model to decode from: f's model, or given --source
// the encoder-decoder conditioned on it.
func (c *conditionFlags) model(f *modelfile.File, path string) (autoreg.Model, error) {
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
	src, err := encodeText(f.SourceTokenizer, c.source)
	if err != nil {
		return nil, fmt.Errorf("--source: %v", err)
	}
	if n := countUnknown(src, f.SourceTokenizer.Vocab()); n > 0 {
		fmt.Fprintf(stderr, "warning: the source has %d token(s) unknown to the model\n", n)
	}
	m, err := cond.Condition(src)
	if err != nil {
		return nil, fmt.Errorf("--source: %v", err)
	}
	return m, nil
}
