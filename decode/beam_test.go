package decode

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// seqLogProb is the model's log-probability of toks after prompt, token by
// token through the seam.
func seqLogProb(m autoreg.Model, prompt, toks []autoreg.Token) float64 {
	st := m.NewState()
	if len(prompt) > 0 {
		st.Append(prompt...)
	}
	var lp float64
	for _, t := range toks {
		lp += st.LogProb(t)
		st.Append(t)
	}
	return lp
}

func beamCfg(width, maxTok int, alpha float64) Config {
	cfg := DefaultConfig()
	cfg.Beams, cfg.MaxTokens, cfg.LengthPenalty = width, maxTok, alpha
	return cfg
}

func TestBeamWidth1IsGreedy(t *testing.T) {
	for seed := range uint64(20) {
		m := randomBigram(seed, 6, 0.05)
		prompt := []autoreg.Token{autoreg.Token(seed % 6)}
		rs, err := BeamSearch(context.Background(), m, prompt, beamCfg(1, 40, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := DefaultConfig()
		g.Temperature, g.MaxTokens = 0, 40
		gr := generateAll(t, m, g, prompt)
		if !slices.Equal(rs[0].Tokens, gr.Tokens) {
			t.Fatalf("seed %d: beam %v\ngreedy %v", seed, rs[0].Tokens, gr.Tokens)
		}
	}
}

// With a width covering every path of a 4-symbol model over 6 steps, beam
// search is exhaustive: it returns the most probable of the 4⁶ sequences.
func TestBeamCoveringWidthIsExhaustive(t *testing.T) {
	const steps = 6
	for seed := range uint64(5) {
		m := randomBigram(100+seed, 4, 0) // EOS impossible: fixed length
		prompt := []autoreg.Token{1}
		best, bestLP := []autoreg.Token(nil), math.Inf(-1)
		seq := make([]autoreg.Token, steps)
		for code := range 1 << (2 * steps) {
			for i := range seq {
				seq[i] = autoreg.Token(code >> (2 * i) & 3)
			}
			if lp := seqLogProb(m, prompt, seq); lp > bestLP {
				best, bestLP = slices.Clone(seq), lp
			}
		}
		cfg := beamCfg(1<<(2*(steps-1)), steps, 0)
		cfg.NumReturn = 3
		rs, err := BeamSearch(context.Background(), m, prompt, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rs[0].Tokens, best) || rs[0].LogProb != seqLogProb(m, prompt, rs[0].Tokens) {
			t.Fatalf("seed %d: beam %v (%v), exhaustive %v (%v)", seed, rs[0].Tokens, rs[0].LogProb, best, bestLP)
		}
		if len(rs) != 3 || rs[1].LogProb > rs[0].LogProb || rs[2].LogProb > rs[1].LogProb {
			t.Fatalf("seed %d: results not best first: %v", seed, rs)
		}
	}
}

// The score a beam reports is the model's log-probability of the returned
// sequence, for every returned sequence, with and without length penalty.
func TestBeamScoreIsModelLogProb(t *testing.T) {
	for _, alpha := range []float64{0, 1, 0.6, -0.5} {
		for seed := range uint64(10) {
			m := randomBigram(200+seed, 7, 0.15)
			prompt := []autoreg.Token{m.vocab.BOS(), 2}
			cfg := beamCfg(5, 12, alpha)
			cfg.NumReturn = 5
			rs, err := BeamSearch(context.Background(), m, prompt, cfg, letters(7))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				want := seqLogProb(m, prompt, r.Tokens)
				if r.LogProb != want {
					t.Fatalf("α=%v seed %d result %d: LogProb %v, model %v", alpha, seed, i, r.LogProb, want)
				}
				if s := normScore(want, len(r.Tokens), alpha); math.Abs(r.Score-s) > 1e-12 {
					t.Fatalf("α=%v: score %v, want %v", alpha, r.Score, s)
				}
				if i > 0 && r.Score > rs[i-1].Score {
					t.Fatalf("α=%v: not best first", alpha)
				}
				if (r.Stop == StopEOS) != (len(r.Tokens) > 0 && r.Tokens[len(r.Tokens)-1] == m.vocab.EOS()) {
					t.Fatalf("stop %v for tokens %v", r.Stop, r.Tokens)
				}
			}
		}
	}
}

// Wider beams never find a less probable sequence than greedy on this
// fixed-length setting (no EOS, no length penalty).
func TestBeamBeatsGreedyFixedLength(t *testing.T) {
	worse := 0
	var sumBeam, sumGreedy float64
	for seed := range uint64(30) {
		m := randomBigram(300+seed, 8, 0)
		prompt := []autoreg.Token{autoreg.Token(seed % 8)}
		rs, err := BeamSearch(context.Background(), m, prompt, beamCfg(4, 10, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := DefaultConfig()
		g.Temperature, g.MaxTokens = 0, 10
		gr := generateAll(t, m, g, prompt)
		sumBeam += rs[0].LogProb
		sumGreedy += gr.LogProb
		if rs[0].LogProb < seqLogProb(m, prompt, gr.Tokens)-1e-9 {
			worse++
		}
	}
	if sumBeam <= sumGreedy {
		t.Fatalf("beam mean log-prob %v not above greedy's %v", sumBeam/30, sumGreedy/30)
	}
	if worse > 0 {
		t.Logf("beam below greedy on %d of 30 prompts (possible, beam search is not exact)", worse)
	}
}

func TestBeamEarlyStoppingAndEOS(t *testing.T) {
	m := chainModel(4) // a b c d EOS, deterministically
	for _, early := range []bool{false, true} {
		cfg := beamCfg(3, 50, 1)
		cfg.EarlyStopping = early
		cfg.Stop = []string{"c"}
		rs, err := BeamSearch(context.Background(), m, nil, cfg, letters(4))
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || !slices.Equal(rs[0].Tokens, []autoreg.Token{0, 1, 2, 3, m.vocab.EOS()}) ||
			rs[0].LogProb != 0 || string(rs[0].Text) != "ab" || rs[0].Stop != StopString {
			t.Fatalf("early=%v: %+v", early, rs)
		}
	}
}

func TestBeamStepsAllocateNothing(t *testing.T) {
	m := randomBigram(9, 50, 0)
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := BeamSearch(context.Background(), m, []autoreg.Token{1}, beamCfg(4, n, 0), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := allocs(10), allocs(200)
	// Only the per-call buffers (state, token slices) differ in size, not in number.
	if long > short {
		t.Fatalf("beam search allocates %v times for 10 steps, %v for 200", short, long)
	}
}
