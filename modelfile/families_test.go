package modelfile_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/modelfile"
	"github.com/autoreg/autoreg/ngram"
	"github.com/autoreg/autoreg/rnn"
	"github.com/autoreg/autoreg/tokenize"
	"github.com/autoreg/autoreg/wavenet"
)

// TestFamiliesRoundTrip: a model of every family, written as a model file
// and read back, gives the same bits along the conformance suite's
// histories, on the fast path and on the bit-exact one.
func TestFamiliesRoundTrip(t *testing.T) {
	tok, err := tokenize.NewChar([]rune("abcdefghij"))
	if err != nil {
		t.Fatal(err)
	}
	v := tok.Vocab()
	rng := rand.New(rand.NewPCG(1, 2))
	stream := neuraltest.PatternStream(rng, v, 1000)

	b, err := ngram.NewBuilder(v, ngram.Options{Order: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(stream); err != nil {
		t.Fatal(err)
	}
	ng, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lstm, err := rnn.New(rnn.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 8}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	gru, err := rnn.New(rnn.Config{Cell: rnn.GRU, Layers: 1, Hidden: 8}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 8}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	wn, err := wavenet.New(wavenet.Config{Layers: 2, Stacks: 1, Residual: 4, Gate: 4, Skip: 8}, v, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []neuraltest.Trainer{lstm, gru, tf, wn} {
		neuraltest.Fit(m, stream, 2, 8, 5, 1e-2, rng)
	}

	for _, c := range []struct {
		family string
		m      autoreg.Model
		exact  bool
	}{
		{"ngram", ng, false}, {"lstm", lstm, true}, {"gru", gru, true}, {"gpt", tf, true}, {"wavenet", wn, false},
	} {
		roundTrip := func(m autoreg.Model) (autoreg.Model, error) {
			var buf bytes.Buffer
			if _, err := modelfile.Encode(&buf, &modelfile.File{Meta: modelfile.Meta{Family: c.family, Mode: "stream"}, Tokenizer: tok, Model: m}); err != nil {
				return nil, err
			}
			f, err := modelfile.Decode(&buf, int64(buf.Len()))
			if err != nil {
				return nil, err
			}
			return f.Model, nil
		}
		o := modeltest.Options{SaveLoad: roundTrip, Only: []modeltest.Check{modeltest.SaveLoad}}
		t.Run(c.family, func(t *testing.T) { modeltest.TestModel(t, c.m, o) })
		if c.exact {
			o.NewState = modeltest.ExactState
			t.Run(c.family+"-exact", func(t *testing.T) { modeltest.TestModel(t, c.m, o) })
		}
	}
}

// TestRealFamiliesRoundTrip: a real-valued model of every neural family,
// written as a model file and read back, gives the same bits along the
// conformance suite's histories, and a family name holding another's
// payload is refused.
func TestRealFamiliesRoundTrip(t *testing.T) {
	spec := neuraltest.Spec("mog:2", 1, 7)
	lstm, err := rnn.NewReal(rnn.Config{Cell: rnn.LSTM, Layers: 1, Hidden: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	gru, err := rnn.NewReal(rnn.Config{Cell: rnn.GRU, Layers: 1, Hidden: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := gpt.NewReal(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	xs := neuraltest.Seasonal(rng, 300, 1)
	for _, c := range []struct {
		family string
		m      neuraltest.RealTrainer
	}{
		{"lstm-real", lstm}, {"gru-real", gru}, {"gpt-real", tf},
	} {
		neuraltest.FitReal(c.m, xs, 2, 8, 5, 1e-2, rng, nil)
		encode := func(family string, m autoreg.RealModel) (*modelfile.File, error) {
			var buf bytes.Buffer
			if _, err := modelfile.Encode(&buf, &modelfile.File{Meta: modelfile.Meta{Family: family, Columns: []string{"v"}}, Real: m}); err != nil {
				return nil, err
			}
			return modelfile.Decode(&buf, int64(buf.Len()))
		}
		roundTrip := func(m autoreg.RealModel) (autoreg.RealModel, error) {
			f, err := encode(c.family, m)
			if err != nil {
				return nil, err
			}
			return f.Real, nil
		}
		rm := c.m.(autoreg.RealModel)
		o := modeltest.RealOptions{Histories: neuraltest.RealHistories(xs, 1), SaveLoad: roundTrip, Only: []modeltest.Check{modeltest.SaveLoad}}
		t.Run(c.family, func(t *testing.T) { modeltest.TestRealModel(t, rm, o) })
		other := "gru-real"
		if c.family == "gru-real" {
			other = "lstm-real"
		}
		if _, err := encode(other, rm); err == nil {
			t.Errorf("a %s payload read as family %s", c.family, other)
		}
	}
}
