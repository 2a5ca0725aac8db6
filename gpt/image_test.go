package gpt

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/tokenize"
)

// imageCfg reads 3×2 RGB images: 18 samples, a context for <s>, a control
// code and all but the last sample.
var imageCfg = Config{Layers: 1, Dim: 16, Heads: 2, Context: 19, Image: tokenize.Shape{Height: 3, Width: 2, Channels: 3}}

// imageSeqs returns B image sequences (<s>, an optional control code,
// random levels below base) flattened as inputs and targets of T = 19.
func imageSeqs(m *Model, rng *rand.Rand, B int, code bool) (x, y []int32) {
	T := m.cfg.Context
	v := m.vocab
	for range B {
		seq := []int32{int32(v.BOS())}
		if code {
			seq = append(seq, int32(v.Base+autoreg.NumReserved))
		}
		for len(seq) < T+1 {
			seq = append(seq, int32(rng.IntN(v.Base)))
		}
		x = append(x, seq[:T]...)
		y = append(y, seq[1:T+1]...)
	}
	return x, y
}

func imageModel(t *testing.T) *Model {
	t.Helper()
	m, err := New(imageCfg, autoreg.Vocab{Base: 4, Controls: []string{"a", "b"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(0.05 * rng.NormFloat64())
	}
	return m
}

// TestImageGrad checks every gradient, the row, column and channel tables
// included, against central differences on image sequences.
func TestImageGrad(t *testing.T) {
	m := imageModel(t)
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := imageSeqs(m, rng, 2, false)
	x2, y2 := imageSeqs(m, rng, 1, true)
	x, y = append(x, x2...), append(y, y2...)
	B, T := 3, m.cfg.Context
	a := m.arena
	a.ZeroGrad()
	m.Forward(x, y, B, T, nil)
	m.Backward(1)
	loss := func() float64 { s, _ := m.Forward(x, y, B, T, nil); return s }
	neuraltest.CheckArenaGrads(t, a, loss, rng, 6, "")
}

// TestImageIncremental: the state's per-sample log-probabilities equal the
// batched Forward's losses, with and without a control code, on the fast
// and the exact path.
func TestImageIncremental(t *testing.T) {
	m := imageModel(t)
	rng := rand.New(rand.NewPCG(3, 4))
	T := m.cfg.Context
	for _, code := range []bool{false, true} {
		x, y := imageSeqs(m, rng, 1, code)
		m.Forward(x, y, 1, T, nil)
		losses := append([]float32(nil), m.Losses()...)
		for _, st := range []autoreg.State{m.NewState(), m.NewExactState()} {
			st.Append(autoreg.Token(x[0]))
			for i := range T {
				got := -st.LogProb(autoreg.Token(y[i]))
				if d := math.Abs(got - float64(losses[i])); d > 1e-4*max(1, got) {
					t.Fatalf("code %v, position %d: state %.7g, batched %.7g", code, i, got, losses[i])
				}
				st.Append(autoreg.Token(y[i]))
			}
		}
		// ScoreSequence after the start tokens gives the same numbers.
		st := m.NewState()
		start := 1
		if code {
			start = 2
		}
		st.Append(neuraltest.AsTokens(x[:start])...)
		dst := make([]float64, T-start+1)
		m.ScoreSequence(st, neuraltest.AsTokens(y[start-1:]), dst)
		for i, lp := range dst {
			if d := math.Abs(-lp - float64(losses[start-1+i])); d > 1e-4*max(1, -lp) {
				t.Fatalf("ScoreSequence %d: %v, batched %v", i, -lp, losses[start-1+i])
			}
		}
	}
}

// TestImagePayload: an image model writes payload version 3 with its
// shape and reads back identical; a text model still writes version 1.
func TestImagePayload(t *testing.T) {
	m := imageModel(t)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if v := buf.Bytes()[8]; v != 3 {
		t.Fatalf("image model payload version %d, want 3", v)
	}
	back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if back.cfg != m.cfg {
		t.Fatalf("config %+v, want %+v", back.cfg, m.cfg)
	}
	for i, v := range m.arena.Params {
		if back.arena.Params[i] != v {
			t.Fatal("weights differ")
		}
	}
	text, _ := New(Config{Layers: 1, Dim: 8, Heads: 2, Context: 4}, autoreg.Vocab{Base: 5}, 1)
	buf.Reset()
	text.WriteTo(&buf)
	if v := buf.Bytes()[8]; v != 1 {
		t.Fatalf("text model payload version %d, want 1", v)
	}
	if _, err := New(Config{Layers: 1, Dim: 8, Heads: 2, Context: 10, Image: imageCfg.Image}, autoreg.Vocab{Base: 4}, 1); err == nil {
		t.Fatal("a context too short for the image accepted")
	}
}

// The conformance suite on an image model, fast and exact: histories
// that start with image sequences (with and without a class), then go on
// past the window.
func TestImageConformance(t *testing.T) {
	m := imageModel(t)
	rng := rand.New(rand.NewPCG(5, 6))
	var hs [][]autoreg.Token
	for _, code := range []bool{true, false} {
		x, y := imageSeqs(m, rng, 1, code)
		h := append(neuraltest.AsTokens(x), autoreg.Token(y[len(y)-1]))
		x2, _ := imageSeqs(m, rng, 1, !code)
		hs = append(hs, append(h, neuraltest.AsTokens(x2)...))
	}
	for _, exact := range []bool{false, true} {
		t.Run(fmt.Sprint("exact=", exact), func(t *testing.T) {
			conformance(t, m, hs, []int{0, 1, 2, m.cfg.Context}, exact)
		})
	}
}
