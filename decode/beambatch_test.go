package decode_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/internal/testutil/pairtest"
)

// TestBeamSearchBatch: the beams of many sources stepped together (one
// batched pass per step) give each source what a beam search on it alone
// gives, with and without a batched step.
func TestBeamSearchBatch(t *testing.T) {
	v, sv := pairtest.Target, pairtest.Source
	rng := rand.New(rand.NewPCG(1, 2))
	m := pairtest.Model(t, rng)
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
