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
