package decode

import (
	"math"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// apply runs processors on the distribution p (over a vocabulary of
// len(p) tokens: Base = len(p)−3, so the last three are the specials and get
// whatever p says) with the given history and returns the resulting
// distribution.
func apply(t *testing.T, p []float64, hist []autoreg.Token, minKeep int, ps ...Processor) []float64 {
	t.Helper()
	v := autoreg.Vocab{Base: len(p) - autoreg.NumReserved}
	s := NewChain(v, minKeep, 0, ps...)
	s.Reset(hist, 0)
	c := s.Process(logs(p...), NewRand(1))
	return c.Probs(nil)
}

// pad appends the three specials with probability 0.
func pad(p ...float64) []float64 { return append(p, 0, 0, 0) }

func near(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) < len(want) {
		t.Fatalf("%s: got %d probabilities, want %d", name, len(got), len(want))
	}
	for i := range got {
		w := 0.0
		if i < len(want) {
			w = want[i]
		}
		if math.Abs(got[i]-w) > 1e-6 {
			t.Fatalf("%s: got %.7f, want %.7f", name, got[:len(want)], want)
		}
	}
}

func TestProcessorsHandComputed(t *testing.T) {
	q := pad(0.5, 0.25, 0.125, 0.125) // H = 1.75 ln 2
	r := pad(0.1, 0.4, 0.2, 0.3)
	cases := []struct {
		name string
		p    []float64
		hist []autoreg.Token
		keep int
		ps   []Processor
		want []float64
	}{
		{"temperature 0.5", pad(0.5, 0.3, 0.2), nil, 1, []Processor{Temperature{0.5}},
			[]float64{.25 / .38, .09 / .38, .04 / .38}},
		{"temperature 2", pad(0.5, 0.3, 0.2), nil, 1, []Processor{Temperature{2}},
			func() []float64 {
				a, b, c := math.Sqrt(.5), math.Sqrt(.3), math.Sqrt(.2)
				return []float64{a / (a + b + c), b / (a + b + c), c / (a + b + c)}
			}()},
		{"temperature 0 is greedy", r, nil, 3, []Processor{Temperature{0}}, []float64{0, 1, 0, 0}},
		{"greedy ties lowest id", pad(0.4, 0.2, 0.4), nil, 1, []Processor{Greedy{}}, []float64{1, 0, 0}},
		{"top-k 2", r, nil, 1, []Processor{TopK{2}}, []float64{0, 4. / 7, 0, 3. / 7}},
		{"top-k 1 min-keep 2", r, nil, 2, []Processor{TopK{1}}, []float64{0, 4. / 7, 0, 3. / 7}},
		{"top-k larger than vocab", r, nil, 1, []Processor{TopK{50}}, []float64{.1, .4, .2, .3}},
		{"top-p 0.6", r, nil, 1, []Processor{TopP{0.6}}, []float64{0, 4. / 7, 0, 3. / 7}},
		{"top-p 0.3", r, nil, 1, []Processor{TopP{0.3}}, []float64{0, 1, 0, 0}},
		{"top-p 0.3 min-keep 3", r, nil, 3, []Processor{TopP{0.3}}, []float64{0, 4. / 9, 2. / 9, 3. / 9}},
		{"top-p 0.95", r, nil, 1, []Processor{TopP{0.95}}, []float64{.1, .4, .2, .3}},
		{"top-p 0.85", r, nil, 1, []Processor{TopP{0.85}}, []float64{0, 4. / 9, 2. / 9, 3. / 9}},
		{"min-p 0.45", r, nil, 1, []Processor{MinP{0.45}}, []float64{0, 4. / 9, 2. / 9, 3. / 9}},
		{"min-p 0.9", r, nil, 1, []Processor{MinP{0.9}}, []float64{0, 1, 0, 0}},
		{"min-p 0.9 min-keep 2", r, nil, 2, []Processor{MinP{0.9}}, []float64{0, 4. / 7, 0, 3. / 7}},
		{"typical 0.5", q, nil, 1, []Processor{TypicalP{0.5}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"typical 0.2 drops the mode", q, nil, 1, []Processor{TypicalP{0.2}}, []float64{0, 1, 0, 0}},
		{"typical 0.2 min-keep 2", q, nil, 2, []Processor{TypicalP{0.2}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"epsilon 0.15", q, nil, 1, []Processor{Epsilon{0.15}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"epsilon 0.6 min-keep 1", q, nil, 1, []Processor{Epsilon{0.6}}, []float64{1, 0, 0, 0}},
		// η = min(0.2, √0.2·e^{−1.75 ln 2}) = 0.1330 > 0.125
		{"eta 0.2", q, nil, 1, []Processor{Eta{0.2}}, []float64{2. / 3, 1. / 3, 0, 0}},
		// η = min(0.1, √0.1·2^{−1.75}) = 0.0940 < 0.125
		{"eta 0.1", q, nil, 1, []Processor{Eta{0.1}}, []float64{.5, .25, .125, .125}},
		// log2 p = (−1,−2,−3,−3): σ = √0.6875·ln2 = 0.5747; max − 1.5σ = −1.555.
		{"top-n-sigma 1.5", q, nil, 1, []Processor{TopNSigma{1.5}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"top-n-sigma 1", q, nil, 1, []Processor{TopNSigma{1}}, []float64{1, 0, 0, 0}},
		{"top-n-sigma 1 min-keep 3", q, nil, 3, []Processor{TopNSigma{1}}, []float64{.5 / .875, .25 / .875, .125 / .875, 0}},
		// p1 ← p1² then renormalize.
		{"repetition 2", q, []autoreg.Token{1, 1}, 1, []Processor{RepetitionPenalty{2}},
			[]float64{.5 / .8125, .0625 / .8125, .125 / .8125, .125 / .8125}},
		{"repetition 0.5 rewards", q, []autoreg.Token{2}, 1, []Processor{RepetitionPenalty{0.5}},
			func() []float64 {
				z := .5 + .25 + math.Sqrt(.125) + .125
				return []float64{.5 / z, .25 / z, math.Sqrt(.125) / z, .125 / z}
			}()},
		{"presence ln2", q, []autoreg.Token{0, 0}, 1, []Processor{PresencePenalty{math.Ln2}},
			[]float64{1. / 3, 1. / 3, 1. / 6, 1. / 6}},
		{"frequency ln2", q, []autoreg.Token{0, 0}, 1, []Processor{FrequencyPenalty{math.Ln2}},
			[]float64{.2, .4, .2, .2}},
		{"logit bias", q, nil, 1, []Processor{LogitBias{[]Bias{{3, float32(math.Ln2)}, {0, float32(math.Inf(-1))}}}},
			[]float64{0, .4, .2, .4}},
		{"no-repeat 2-gram", q, []autoreg.Token{0, 1, 2, 0}, 1, []Processor{NoRepeatNGram{2}},
			[]float64{.5 / .75, 0, .125 / .75, .125 / .75}},
		{"no-repeat 3-gram", q, []autoreg.Token{2, 0, 1, 2, 0}, 1, []Processor{NoRepeatNGram{3}},
			[]float64{.5 / .75, 0, .125 / .75, .125 / .75}},
		{"no-repeat 1-gram", q, []autoreg.Token{0, 2}, 1, []Processor{NoRepeatNGram{1}},
			[]float64{0, .25 / .375, 0, .125 / .375}},
		// (0 1 2) occurred before followed by 3: L = 3, A = 2, penalty 0.8·1.75 on token 3.
		{"dry", q, []autoreg.Token{0, 1, 2, 3, 0, 1, 2}, 1, []Processor{&DRY{Multiplier: 0.8, Base: 1.75, AllowedLength: 2}},
			func() []float64 {
				p3 := .125 * math.Exp(-0.8*1.75)
				z := .875 + p3
				return []float64{.5 / z, .25 / z, .125 / z, p3 / z}
			}()},
		{"dry breaker cuts the match", q, []autoreg.Token{0, 1, 2, 3, 0, 1, 2}, 1,
			[]Processor{&DRY{Multiplier: 0.8, Base: 1.75, AllowedLength: 2, Breakers: []autoreg.Token{1}}},
			[]float64{.5, .25, .125, .125}},
		{"dry below allowed length", q, []autoreg.Token{0, 1, 2, 3, 0, 1, 2}, 1, []Processor{&DRY{Multiplier: 0.8, Base: 1.75, AllowedLength: 4}},
			[]float64{.5, .25, .125, .125}},
		{"xtc", pad(0.4, 0.3, 0.2, 0.1), nil, 1, []Processor{XTC{Probability: 1, Threshold: 0.15}},
			[]float64{0, 0, 2. / 3, 1. / 3}},
		{"xtc protected", pad(0.4, 0.3, 0.2, 0.1), nil, 1, []Processor{XTC{Probability: 1, Threshold: 0.15, Protect: []autoreg.Token{1}}},
			[]float64{.4, .3, .2, .1}},
		{"xtc single top choice", pad(0.4, 0.3, 0.2, 0.1), nil, 1, []Processor{XTC{Probability: 1, Threshold: 0.35}},
			[]float64{.4, .3, .2, .1}},
		{"xtc min-keep", pad(0.4, 0.3, 0.2, 0.1), nil, 3, []Processor{XTC{Probability: 1, Threshold: 0.15}},
			[]float64{.4, .3, .2, .1}},
		{"xtc probability 0", pad(0.4, 0.3, 0.2, 0.1), nil, 1, []Processor{XTC{Probability: 0, Threshold: 0.15}},
			[]float64{.4, .3, .2, .1}},
		// μ = 2τ = 2 bits: keep −log2 p ≤ 2.
		{"mirostat tau 1", q, nil, 1, []Processor{&Mirostat{Tau: 1, Eta: 0.1}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"mirostat tau 0.25 min-keep 2", q, nil, 2, []Processor{&Mirostat{Tau: 0.25, Eta: 0.1}}, []float64{2. / 3, 1. / 3, 0, 0}},
		{"chain top-k then top-p", r, nil, 1, []Processor{TopK{3}, TopP{0.5}}, []float64{0, 4. / 7, 0, 3. / 7}},
		{"chain penalty then min-p", r, []autoreg.Token{1}, 1, []Processor{PresencePenalty{math.Ln2 * 2}, MinP{0.5}},
			[]float64{0, 0, .4, .6}},
	}
	for _, tc := range cases {
		got := apply(t, tc.p, tc.hist, tc.keep, tc.ps...)
		near(t, tc.name, got, tc.want)
	}
}

// The documented difference of the presets: at T = 0.5 and top-p 0.6 over
// p = (0.5, 0.3, 0.2), llama order truncates the model's distribution
// (0.5 < 0.6 ≤ 0.8: two tokens) and then sharpens them, while hf order
// sharpens first, (0.658, 0.237, 0.105), and the nucleus is the mode alone.
func TestPresetsDiffer(t *testing.T) {
	v := autoreg.Vocab{Base: 3}
	lp := logs(pad(0.5, 0.3, 0.2)...)
	run := func(order string) []float64 {
		cfg := DefaultConfig()
		cfg.Temperature, cfg.TopP, cfg.Order = 0.5, 0.6, order
		s, err := NewSampler(cfg, v)
		if err != nil {
			t.Fatal(err)
		}
		s.Reset(nil, 0)
		return s.Process(lp, nil).Probs(nil)
	}
	near(t, "llama", run("llama"), []float64{25. / 34, 9. / 34, 0})
	near(t, "hf", run("hf"), []float64{1, 0, 0})
	near(t, "default", run(""), []float64{25. / 34, 9. / 34, 0})
	// Top-k and top-n-σ are temperature-invariant: same set in both orders.
	for _, knob := range []func(*Config){
		func(c *Config) { c.TopK = 2 },
		func(c *Config) { c.TopNSigma = 1 },
	} {
		var sets [2][]autoreg.Token
		for i, order := range []string{"hf", "llama"} {
			cfg := DefaultConfig()
			cfg.Temperature, cfg.Order = 0.5, order
			knob(&cfg)
			s, _ := NewSampler(cfg, v)
			s.Reset(nil, 0)
			sets[i] = s.Process(lp, nil).Tokens(nil)
			slices.Sort(sets[i])
		}
		if !slices.Equal(sets[0], sets[1]) {
			t.Errorf("temperature-invariant truncation differs between presets: %v vs %v", sets[0], sets[1])
		}
	}
}

func TestMirostatUpdate(t *testing.T) {
	q := pad(0.5, 0.25, 0.125, 0.125)
	m := &Mirostat{Tau: 1, Eta: 0.1}
	s := NewChain(autoreg.Vocab{Base: 4}, 1, 0, m)
	s.Reset(nil, 0)
	s.Process(logs(q...), nil)
	if math.Abs(m.Mu-2) > 1e-12 {
		t.Fatalf("μ starts at %v, want 2τ = 2", m.Mu)
	}
	s.Accept(0) // p̃ = 2/3: surprise log2(3/2)
	want := 2 - 0.1*(math.Log2(1.5)-1)
	if math.Abs(m.Mu-want) > 1e-6 {
		t.Fatalf("μ after accepting token 0 = %v, want %v", m.Mu, want)
	}
	s.Reset(nil, 0)
	s.Process(logs(q...), nil)
	if m.Mu != 2 {
		t.Fatalf("Reset did not restore μ = 2τ: %v", m.Mu)
	}
}

// dryRef is text-generation-webui's DRY loop, the specification of the
// Z-function version.
func dryRef(lp []float32, hist []autoreg.Token, m, b float64, A int, brk map[autoreg.Token]bool) {
	n := len(hist)
	if n < 2 || brk[hist[n-1]] {
		return
	}
	best := map[autoreg.Token]int{}
	for i := 0; i < n-1; i++ {
		if hist[i] != hist[n-1] {
			continue
		}
		next := hist[i+1]
		if brk[next] {
			continue
		}
		L := 1
		for {
			j := i - L
			if j < 0 {
				break
			}
			prev := hist[n-1-L]
			if hist[j] != prev || brk[prev] {
				break
			}
			L++
		}
		best[next] = max(best[next], L)
	}
	for tok, L := range best {
		if L >= A {
			lp[tok] -= float32(m * math.Pow(b, float64(L-A)))
		}
	}
}

func TestDRYMatchesReference(t *testing.T) {
	r := NewRand(7)
	v := autoreg.Vocab{Base: 5}
	for trial := range 300 {
		n := 1 + r.IntN(40)
		alpha := 1 + r.IntN(4) // small alphabets make long repeats
		hist := make([]autoreg.Token, n)
		for i := range hist {
			hist[i] = autoreg.Token(r.IntN(alpha))
		}
		var breakers []autoreg.Token
		brk := map[autoreg.Token]bool{}
		if trial%3 == 0 {
			breakers = []autoreg.Token{autoreg.Token(r.IntN(5))}
			brk[breakers[0]] = true
		}
		A := 1 + r.IntN(3)
		base := make([]float32, v.Size())
		for i := range base {
			base[i] = -float32(i+1) * 0.3
		}
		want := slices.Clone(base)
		dryRef(want, hist, 0.8, 1.75, A, brk)
		s := NewChain(v, 1, 0, &DRY{Multiplier: 0.8, Base: 1.75, AllowedLength: A, Breakers: breakers})
		s.Reset(hist, 0)
		c := s.Process(base, nil)
		for i := range want {
			if math.Abs(float64(c.LogP[i]-want[i])) > 1e-5 {
				t.Fatalf("trial %d hist %v A=%d breakers %v: token %d got %v want %v",
					trial, hist, A, breakers, i, c.LogP[i], want[i])
			}
		}
	}
}

func TestPenaltyWindow(t *testing.T) {
	v := autoreg.Vocab{Base: 4}
	q := pad(0.5, 0.25, 0.125, 0.125)
	s := NewChain(v, 1, 2, PresencePenalty{math.Ln2})
	s.Reset([]autoreg.Token{0, 1}, 4)
	s.Accept(2) // window now {1, 2}: token 0 fell out
	got := s.Process(logs(q...), nil).Probs(nil)
	z := .5 + .125 + .0625 + .125
	near(t, "window", got, []float64{.5 / z, .125 / z, .0625 / z, .125 / z})
	if s.History().Count(0) != 0 || s.History().Count(2) != 1 {
		t.Fatalf("counts: %d %d", s.History().Count(0), s.History().Count(2))
	}
}
