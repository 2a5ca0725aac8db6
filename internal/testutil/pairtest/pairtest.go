// Package pairtest builds the toy conditional (pair) model that the tests
// of autoreg.Conditional's consumers share (beam search over many sources
// in package decode, the pair evaluation in package eval): a small
// encoder-decoder (package seq2seq) whose weights are moved well away from
// their initialization, so that its distributions are sharp and depend on
// the source.
package pairtest

import (
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/seq2seq"
)

// Vocabularies of the toy model: its targets and its sources.
var (
	Target = autoreg.Vocab{Base: 12}
	Source = autoreg.Vocab{Base: 9}
)

// Model returns the toy encoder-decoder from Source to Target: one encoder
// and two decoder layers 32 wide, up to 9 source tokens and 12 target
// positions, its weights drawn from a fixed seed and then each moved by
// 0.3·N(0, 1) drawn from rng (enough that beams end at different lengths).
// The caller may go on drawing its data from rng.
func Model(t testing.TB, rng *rand.Rand) *seq2seq.Model {
	t.Helper()
	m, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 2, Dim: 32, Heads: 2, FFN: 48, SrcContext: 10, Context: 12},
		Target, Source, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Arena().Params {
		m.Arena().Params[i] += float32(0.3 * rng.NormFloat64())
	}
	m.ParamsChanged()
	return m
}
