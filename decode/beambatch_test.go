package decode_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/seq2seq"
)

// TestBeamSearchBatch: the beams of many sources stepped together (one
// batched pass per step) give each source what a beam search on it alone
// gives, with and without a batched step.
func TestBeamSearchBatch(t *testing.T) {
	v, sv := autoreg.Vocab{Base: 12}, autoreg.Vocab{Base: 9}
	m, err := seq2seq.New(seq2seq.Config{EncLayers: 1, DecLayers: 2, Dim: 32, Heads: 2, FFN: 48, SrcContext: 10, Context: 12}, v, sv, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Sharper than the initialization, so that beams end at different
	// lengths.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range m.Arena().Params {
		m.Arena().Params[i] += float32(0.3 * rng.NormFloat64())
	}
	m.ParamsChanged()
	cfg := decode.DefaultConfig()
	cfg.Beams, cfg.NumReturn, cfg.MaxTokens = 4, 2, 10
	var models []autoreg.Model
	var prompts [][]autoreg.Token
	for range 9 {
		src := make([]autoreg.Token, rng.IntN(9))
		for j := range src {
			src[j] = autoreg.Token(rng.IntN(sv.Base))
		}
		cm, err := m.Condition(src)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, cm)
		prompts = append(prompts, []autoreg.Token{v.BOS()})
	}
	batch, err := decode.BeamSearchBatch(context.Background(), models, prompts, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, cm := range models {
		// Alone, and alone without the batched step.
		for _, mm := range []autoreg.Model{cm, plainModel{cm}} {
			one, err := decode.BeamSearch(context.Background(), mm, prompts[i], cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(one) != len(batch[i]) {
				t.Fatalf("source %d: %d results alone, %d batched", i, len(one), len(batch[i]))
			}
			for k := range one {
				a, b := one[k], batch[i][k]
				if !slices.Equal(a.Tokens, b.Tokens) || a.LogProb != b.LogProb || a.Score != b.Score || a.Stop != b.Stop {
					t.Fatalf("source %d result %d: alone %v %v, batched %v %v", i, k, a.Tokens, a.LogProb, b.Tokens, b.LogProb)
				}
			}
		}
	}
}

// plainModel hides a model's optional interfaces.
type plainModel struct{ m autoreg.Model }

func (p plainModel) Vocab() autoreg.Vocab    { return p.m.Vocab() }
func (p plainModel) NewState() autoreg.State { return p.m.NewState() }
