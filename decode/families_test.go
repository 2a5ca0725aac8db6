package decode_test

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/gpt"
)

// The seam at work with a neural family: a small random GPT decodes
// byte-identically across runs and GOMAXPROCS settings, and beam search
// reports the model's own log-probability of what it returns.
func TestGPTDecoding(t *testing.T) {
	v := autoreg.Vocab{Base: 20}
	m, err := gpt.New(gpt.Config{Layers: 2, Dim: 32, Heads: 2, Context: 32}, v, 5)
	if err != nil {
		t.Fatal(err)
	}
	d := letterDetok{}
	cfg := decode.DefaultConfig()
	cfg.Seed, cfg.MaxTokens, cfg.Temperature, cfg.TopP, cfg.RepetitionPenalty = 3, 48, 0.9, 0.95, 1.1
	prompt := []autoreg.Token{v.BOS(), 1, 2, 3}
	run := func() []byte {
		rs, err := decode.Run(context.Background(), m, prompt, cfg, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rs[0].Text
	}
	want := run()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, p := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(p)
		if got := run(); !bytes.Equal(got, want) {
			t.Fatalf("GOMAXPROCS=%d: %q, want %q", p, got, want)
		}
	}

	bc := decode.DefaultConfig()
	bc.Beams, bc.NumReturn, bc.MaxTokens, bc.LengthPenalty = 3, 3, 10, 0
	rs, err := decode.BeamSearch(context.Background(), m, prompt, bc, d)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		st := m.NewState()
		st.Append(prompt...)
		var lp float64
		for _, tok := range r.Tokens {
			lp += st.LogProb(tok)
			st.Append(tok)
		}
		// GPT's LogProb comes from its float32 LogProbs when that was just
		// computed and from a float64 path otherwise: equal to float32
		// rounding.
		if math.Abs(lp-r.LogProb) > 1e-6*math.Abs(lp) {
			t.Fatalf("beam %d: LogProb %v, model %v", i, r.LogProb, lp)
		}
	}
}

type letterDetok struct{}

func (letterDetok) AppendText(dst []byte, t autoreg.Token) []byte {
	if t < 26 {
		return append(dst, byte('a'+t))
	}
	return dst
}

// Classifier-free guidance on a GPT, past its context window: greedy
// guided decoding equals a hand-run loop over two fresh states (the model
// under <s> <ctl:a>, the negative branch under <s> <ctl:b>) that takes the
// argmax of ln + γ(lp − ln) at each step. Both states slide their windows
// and pin their own control codes (package gpt), so the generator must feed
// the negative state exactly as the loop does.
func TestGPTClassifierFreeGuidance(t *testing.T) {
	v := autoreg.Vocab{Base: 12, Controls: []string{"a", "b"}}
	m, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 16}, v, 7)
	if err != nil {
		t.Fatal(err)
	}
	const gamma, n = 30.0, 40 // 40 tokens: the window of 16 slides several times
	cfg := decode.DefaultConfig()
	cfg.Temperature, cfg.MaxTokens, cfg.IgnoreEOS = 0, n, true
	cfg.Control, cfg.CFGScale, cfg.CFGNegativeControl = "a", gamma, "b"
	prompt := []autoreg.Token{v.BOS(), 1, 2}
	g, err := decode.NewGenerator(m, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Generate(context.Background(), prompt, nil)
	if err != nil || len(r.Tokens) != n {
		t.Fatalf("%d tokens, %v", len(r.Tokens), err)
	}

	a, _ := v.Control("a")
	b, _ := v.Control("b")
	pos, neg := m.NewState(), m.NewState()
	pos.Append(v.BOS(), a, 1, 2)
	neg.Append(v.BOS(), b, 1, 2)
	lp, ln := make([]float32, v.Size()), make([]float32, v.Size())
	var want []autoreg.Token
	var logp float64
	differs, ndiff := false, 0
	for range n {
		pos.LogProbs(lp)
		neg.LogProbs(ln)
		best, plain := -1, -1
		for k := range v.Base { // the specials are never generated
			s := float64(ln[k]) + gamma*(float64(lp[k])-float64(ln[k]))
			if best < 0 || s > float64(ln[best])+gamma*(float64(lp[best])-float64(ln[best])) {
				best = k
			}
			if plain < 0 || lp[k] > lp[plain] {
				plain = k
			}
		}
		if best != plain {
			ndiff++
		}
		differs = differs || best != plain
		tok := autoreg.Token(best)
		logp += float64(lp[tok])
		want = append(want, tok)
		pos.Append(tok)
		neg.Append(tok)
	}
	for i := range want {
		if r.Tokens[i] != want[i] {
			t.Fatalf("token %d: generator %v, hand-run loop %v", i, r.Tokens, want)
		}
	}
	t.Logf("guidance changed the argmax at %d of %d steps", ndiff, n)
	if !differs {
		t.Error("guidance never changed the argmax: the test shows nothing")
	}
	if math.Abs(r.LogProb-logp) > 1e-6*math.Abs(logp) {
		t.Errorf("LogProb %v, the model's %v", r.LogProb, logp)
	}
}
