package main

import (
	"flag"
	"slices"
	"unicode/utf8"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/tokenize"
)

// fimFlags are the fill-in-the-middle flags of `autoreg train`.
type fimFlags struct {
	rate, spm float64
}

func (f *fimFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.rate, "fim-rate", 0, "gpt: train fill-in-the-middle on this `FRACTION` of windows (Bavarian et al. 2022; 0.5 in the paper): a window is split at two random characters into prefix, middle and suffix, reordered with sentinel control codes, so that 'sample --suffix' and 'eval --infill' can fill in a middle")
	fs.Float64Var(&f.spm, "fim-spm-rate", 0.5, "gpt: of the fill-in-the-middle windows, this `FRACTION` in suffix-prefix-middle order (the rest prefix-suffix-middle)")
}

// sentinels adds the FIM sentinels to tok's control codes when
// fill-in-the-middle training is asked for.
func (f *fimFlags) sentinels(arch string, tok tokenize.Tokenizer) (tokenize.Tokenizer, error) {
	if f.rate == 0 {
		return tok, nil
	}
	if arch != "gpt" {
		return nil, usagef("--fim-rate: fill-in-the-middle training is for --arch gpt")
	}
	if !(f.rate > 0 && f.rate <= 1 && f.spm >= 0 && f.spm <= 1) {
		return nil, usagef("--fim-rate %g and --fim-spm-rate %g: want fractions in (0, 1] and [0, 1]", f.rate, f.spm)
	}
	return tokenize.WithControls(tok, append(slices.Clone(tok.Vocab().Controls), fim.Tags...))
}

// fimSplit is where a fill-in-the-middle split may fall for tok: anywhere
// but inside a UTF-8 character for the byte tokenizer, between any two
// tokens for the others (nil).
func fimSplit(tok tokenize.Tokenizer) func(autoreg.Token) bool {
	if tok.Kind() != tokenize.KindByte {
		return nil
	}
	return func(t autoreg.Token) bool { return t >= 256 || utf8.RuneStart(byte(t)) }
}
