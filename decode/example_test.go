package decode_test

import (
	"context"
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
)

// cycle is a toy bigram model over the letters a, b, c, d: after a letter
// the next one in the cycle follows with probability 0.7, each other letter
// with 0.1, and EOS never.
type cycle struct{}

type cycleState struct{ last, n int }

func (cycle) Vocab() autoreg.Vocab    { return autoreg.Vocab{Base: 4} }
func (cycle) NewState() autoreg.State { return &cycleState{last: -1} }
func (s *cycleState) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		s.last, s.n = int(x), s.n+1
	}
}
func (s *cycleState) LogProbs(dst []float32) {
	for i := range dst {
		dst[i] = float32(s.LogProb(autoreg.Token(i)))
	}
}
func (s *cycleState) LogProb(x autoreg.Token) float64 {
	switch {
	case x >= 4:
		return math.Inf(-1)
	case s.last < 0 || s.last >= 4:
		return math.Log(0.25)
	case int(x) == (s.last+1)%4:
		return math.Log(0.7)
	}
	return math.Log(0.1)
}
func (s *cycleState) CopyTo(dst autoreg.State) { *dst.(*cycleState) = *s }
func (s *cycleState) Reset()                   { s.last, s.n = -1, 0 }
func (s *cycleState) Len() int                 { return s.n }

// letters renders tokens 0..3 as a..d.
type letters struct{}

func (letters) AppendText(dst []byte, t autoreg.Token) []byte {
	if t < 4 {
		return append(dst, byte('a'+t))
	}
	return dst
}

// A chain transforms one step's distribution; Probs shows the result.
func ExampleNewChain() {
	v := autoreg.Vocab{Base: 4}
	lp := make([]float32, v.Size())
	for i, p := range []float64{0.1, 0.4, 0.2, 0.3, 0, 0, 0} {
		lp[i] = float32(math.Log(p))
	}
	s := decode.NewChain(v, 1, 0, decode.TopP{P: 0.6}, decode.Temperature{T: 0.5})
	s.Reset(nil, 0)
	p := s.Process(lp, nil).Probs(nil)
	fmt.Printf("%.3f\n", p[:4])
	// Output: [0.000 0.640 0.000 0.360]
}

// The presets differ at temperature ≠ 1: llama truncates the model's own
// distribution and then sharpens it, hf sharpens first.
func ExampleParseOrder() {
	v := autoreg.Vocab{Base: 3}
	lp := []float32{float32(math.Log(0.5)), float32(math.Log(0.3)), float32(math.Log(0.2)),
		float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}
	for _, order := range []string{"llama", "hf"} {
		cfg := decode.DefaultConfig()
		cfg.Temperature, cfg.TopP, cfg.Order = 0.5, 0.6, order
		s, err := decode.NewSampler(cfg, v)
		if err != nil {
			panic(err)
		}
		s.Reset(nil, 0)
		fmt.Printf("%-5s %s: %v\n", order, s.Order(), s.Process(lp, nil).Tokens(nil))
	}
	// Output:
	// llama top-p,temperature: [0 1]
	// hf    temperature,top-p: [0]
}

// Generate streams text as it is produced; a stop string ends generation and
// is never emitted.
func ExampleGenerator_Generate() {
	cfg := decode.DefaultConfig()
	cfg.Temperature = 0 // greedy: a b c d a b c d ...
	cfg.MaxTokens = 20
	cfg.Stop = []string{"da"}
	g, err := decode.NewGenerator(cycle{}, cfg, letters{})
	if err != nil {
		panic(err)
	}
	r, err := g.Generate(context.Background(), []autoreg.Token{1}, func(c decode.Chunk) error {
		fmt.Printf("token %d final %v: %q\n", c.Token, c.Final, c.Text)
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q after %d tokens (%v)\n", r.Text, len(r.Tokens), r.Stop)
	// Output:
	// token 2 final false: "c"
	// token 3 final false: ""
	// token 0 final false: ""
	// token 0 final true: ""
	// "c" after 3 tokens (stop-string)
}

// Beam search returns several sequences, each with the model's
// log-probability of it (the second and third tie, like every sequence with
// one unlikely step; ties are broken deterministically).
func ExampleBeamSearch() {
	cfg := decode.DefaultConfig()
	cfg.Beams, cfg.NumReturn, cfg.MaxTokens, cfg.LengthPenalty = 4, 3, 3, 0
	rs, err := decode.BeamSearch(context.Background(), cycle{}, []autoreg.Token{0}, cfg, letters{})
	if err != nil {
		panic(err)
	}
	for _, r := range rs {
		fmt.Printf("%s %.4f\n", r.Text, r.LogProb)
	}
	// Output:
	// bcd -1.0700
	// abc -3.0159
	// cda -3.0159
}

// Seeded sampling is reproducible: the same seed gives the same text.
func ExampleNewGenerator() {
	cfg := decode.DefaultConfig()
	cfg.Seed, cfg.MaxTokens, cfg.TopK = 7, 12, 3
	for range 2 {
		g, err := decode.NewGenerator(cycle{}, cfg, letters{})
		if err != nil {
			panic(err)
		}
		r, _ := g.Generate(context.Background(), nil, nil)
		fmt.Println(string(r.Text))
	}
	// Output:
	// cdabbcdbcabb
	// cdabbcdbcabb
}

func ExampleParseLogitBias() {
	b, err := decode.ParseLogitBias("15=-inf", nil)
	fmt.Println(b, err)
	_, err = decode.ParseLogitBias("15:2", nil)
	fmt.Println(err)
	// Output:
	// {15 -Inf} <nil>
	// decode: --logit-bias "15:2": want TOKEN=BIAS
}
