package gpt

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/optim"
)

// perturbed returns a model whose parameters are random enough that every
// layer matters.
func perturbed(t *testing.T, cfg Config, seed uint64) *Model {
	m := tinyModel(t, cfg, 13)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(0.05 * rng.NormFloat64())
	}
	return m
}

// TestGenerateShapes: a generated token's phases (each head computing its
// own q, k, v or a QKV phase first, depending on the head size and the
// panel width; one or several MLP slices) give the batched loss, token by
// token, within relative 1e-4.
func TestGenerateShapes(t *testing.T) {
	for _, cfg := range []Config{
		{Layers: 2, Dim: 64, Heads: 2, Context: 10},  // hs 32
		{Layers: 1, Dim: 256, Heads: 4, Context: 10}, // hs 64, 8 MLP slices
		{Layers: 1, Dim: 96, Heads: 3, Context: 10},  // hs 32, 3 heads
		{Layers: 2, Dim: 18, Heads: 3, Context: 10},  // hs 6: QKV phase
		{Layers: 1, Dim: 512, Heads: 8, Context: 6},  // 16 MLP slices
	} {
		m := perturbed(t, cfg, 3)
		T := cfg.Context
		rng := rand.New(rand.NewPCG(5, 5))
		seq := neuraltest.RandTokens(rng, T+1, m.V)
		_, _ = m.Forward(seq[:T], seq[1:], 1, T, nil)
		st := m.NewState()
		st.Append(autoreg.Token(seq[0]))
		for i := 1; i <= T; i++ {
			got := -st.LogProb(autoreg.Token(seq[i]))
			want := float64(m.Losses()[i-1])
			if math.Abs(got-want) > 1e-4*math.Abs(want) {
				t.Fatalf("%+v position %d: incremental %.7g, batched %.7g", cfg, i, got, want)
			}
			st.Append(autoreg.Token(seq[i]))
		}
	}
}

// TestGenerateDeterministicAcrossProcs: generated log-probs (through
// window shifts) are bit-identical for any GOMAXPROCS.
func TestGenerateDeterministicAcrossProcs(t *testing.T) {
	m := perturbed(t, Config{Layers: 2, Dim: 256, Heads: 4, Context: 16}, 4)
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		st := m.NewState()
		lp := make([]float32, m.V)
		var out []float32
		st.Append(0, 1, 2)
		for i := range 40 {
			st.Append(autoreg.Token(i % m.V))
			st.LogProbs(lp)
			out = append(out, lp...)
		}
		return out
	}
	first := run(1)
	for _, procs := range []int{2, 3, 4} {
		got := run(procs)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("GOMAXPROCS=%d: log-prob %d is %v, %v with 1", procs, i, got[i], first[i])
			}
		}
	}
}

// TestPackedWeightsFollowTraining: after a training step (and after a
// direct write announced by ParamsChanged), states read the new weights,
// as a model built fresh from them does.
func TestPackedWeightsFollowTraining(t *testing.T) {
	cfg := Config{Layers: 1, Dim: 64, Heads: 2, Context: 8}
	m := perturbed(t, cfg, 6)
	rng := rand.New(rand.NewPCG(7, 7))
	seq := neuraltest.RandTokens(rng, 9, m.V)
	probe := func(m *Model) float64 {
		st := m.NewState()
		for _, x := range seq[:5] {
			st.Append(autoreg.Token(x))
		}
		return st.LogProb(autoreg.Token(seq[5]))
	}
	fresh := func() float64 {
		f, err := New(cfg, m.vocab, 1)
		if err != nil {
			t.Fatal(err)
		}
		copy(f.arena.Params, m.arena.Params)
		return probe(f)
	}
	before := probe(m) // packs the weights
	opt := optim.NewAdamW(m.arena, 0)
	m.arena.ZeroGrad()
	_, n := m.Forward(seq[:8], seq[1:], 1, 8, nil)
	m.Backward(1 / float32(n))
	opt.Update(m.arena, 1e-2)
	after := probe(m)
	if after == before {
		t.Fatal("the training step did not change the prediction")
	}
	if want := fresh(); after != want {
		t.Fatalf("after a training step: %v, a fresh model with the weights: %v", after, want)
	}
	for i := range m.arena.Params {
		m.arena.Params[i] *= 0.9
	}
	m.ParamsChanged()
	if got, want := probe(m), fresh(); got != want {
		t.Fatalf("after ParamsChanged: %v, a fresh model with the weights: %v", got, want)
	}
}
