package seq2seq_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/seq2seq"
	"github.com/autoreg/autoreg/tokenize"
)

// An encoder-decoder conditioned on a source is an ordinary model: every
// sampler and beam search of package decode works on it (here untrained,
// so the output is arbitrary; it ends at </s> or after MaxTokens).
func Example() {
	letters, phones := autoreg.Vocab{Base: 26}, autoreg.Vocab{Base: 39}
	cfg := seq2seq.Config{EncLayers: 2, DecLayers: 2, Dim: 32, Heads: 4, FFN: 64, SrcContext: 16, Context: 16}
	m, err := seq2seq.New(cfg, phones, letters, 1)
	if err != nil {
		panic(err)
	}
	src := []autoreg.Token{7, 4, 11, 11, 14} // "hello" as letter ids
	cm, err := m.Condition(src)              // the encoder runs once, here
	if err != nil {
		panic(err)
	}
	bc := decode.DefaultConfig()
	bc.Beams, bc.MaxTokens = 4, 10
	rs, err := decode.BeamSearch(context.Background(), cm, []autoreg.Token{phones.BOS()}, bc, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Arena().Count(), "parameters;", len(rs), "result of at most", bc.MaxTokens, "tokens:", len(rs[0].Tokens) <= bc.MaxTokens)
	// Output: 46176 parameters; 1 result of at most 10 tokens: true
}

// A trained encoder-decoder from its model file (here a G2P model made by
// `autoreg train --arch seq2seq`): the source through the file's source
// tokenizer, the best of five beams through its target tokenizer.
func Example_modelFile() {
	f, err := modelfile.Read("g2p.best.arm")
	if err != nil {
		log.Fatal(err)
	}
	c := f.Model.(autoreg.Conditional)
	src, err := tokenize.Encode(f.SourceTokenizer, "GOPHER")
	if err != nil {
		log.Fatal(err)
	}
	m, err := c.Condition(src) // the encoder runs here, once
	if err != nil {
		log.Fatal(err)
	}
	cfg := decode.DefaultConfig()
	cfg.Beams = 5
	rs, err := decode.BeamSearch(context.Background(), m, []autoreg.Token{m.Vocab().BOS()}, cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimSpace(tokenize.Decode(f.Tokenizer, rs[0].Tokens))) // G AA F ER
}
