package vae

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/fused"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/rnn"
)

var configs = []Config{
	{Cell: rnn.LSTM, Layers: 2, Hidden: 6, Embed: 5, EncLayers: 1, EncHidden: 4, Latent: 3},
	{Cell: rnn.LSTM, Layers: 1, Hidden: 6, Latent: 2},
	{Cell: rnn.GRU, Layers: 2, Hidden: 5, Embed: 4, EncHidden: 3, Latent: 3},
}

func newModel(t testing.TB, cfg Config, base int) *Model {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: base}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// toySentences returns n sentences of a language in which z has
// something to carry: a sentence repeats one of k class tokens 3 to 6
// times; the class and the length are all there is to know.
func toySentences(rng *rand.Rand, n, k int) [][]autoreg.Token {
	out := make([][]autoreg.Token, n)
	for i := range out {
		c := autoreg.Token(rng.IntN(k))
		for range 3 + rng.IntN(4) {
			out[i] = append(out[i], c)
		}
	}
	return out
}

// batch lays sentences out as train.Options.Sentences does: row b is <s>
// and the sentence, its targets the sentence and </s>, then Ignore.
func batch(v autoreg.Vocab, sents [][]autoreg.Token) (x, y []int32, B, T int) {
	B = len(sents)
	for _, s := range sents {
		T = max(T, len(s)+1)
	}
	x, y = make([]int32, B*T), make([]int32, B*T)
	for b, s := range sents {
		x[b*T] = int32(v.BOS())
		for t := range T {
			y[b*T+t] = Ignore
			if t > 0 {
				x[b*T+t] = int32(v.EOS())
			}
		}
		for t, tok := range s {
			x[b*T+t+1], y[b*T+t] = int32(tok), int32(tok)
		}
		y[b*T+len(s)] = int32(v.EOS())
	}
	return x, y, B, T
}

// withEOS returns s and </s>: the sequence the seam's latent methods take.
func withEOS(v autoreg.Vocab, s []autoreg.Token) []autoreg.Token {
	return append(append([]autoreg.Token(nil), s...), v.EOS())
}

// fit trains m with Adam on batches of B sentences drawn from sents.
func fit(m *Model, sents [][]autoreg.Token, B, steps int, lr float64, rng *rand.Rand) {
	a := m.Arena()
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	for step := range steps {
		bs := make([][]autoreg.Token, B)
		for b := range bs {
			bs[b] = sents[rng.IntN(len(sents))]
		}
		x, y, B, T := batch(m.vocab, bs)
		m.SetStep(step, steps)
		a.ZeroGrad()
		_, n := m.Forward(x, y, B, T, rng)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step+1, lr)
	}
}

// The whole training step's gradient against central differences:
// encoder, posterior layer, reparameterization, KL (weighted β = 0.6),
// initial state, decoder, with dropout and word dropout drawn the same
// at every evaluation.
func TestModelGrad(t *testing.T) {
	for _, cfg := range configs {
		cfg.Dropout = 0.2
		cfg.Objective = Objective{Anneal: Anneal{Kind: AnnealLinear, Steps: 10}, WordDropout: 0.3}
		m := newModel(t, cfg, 9)
		a := m.arena
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range a.Params {
			a.Params[i] += float32(0.2 * rng.NormFloat64())
		}
		m.SetStep(6, 100)
		x, y, B, T := batch(m.vocab, [][]autoreg.Token{{1, 2, 3, 4}, {5}, {6, 7, 8, 0, 1, 2}})
		loss := func() float64 {
			sum, n := m.Forward(x, y, B, T, rand.New(rand.NewPCG(9, 9)))
			parts, set := m.LossParts()
			kl := parts["kl"]
			return (sum - kl + set["kl_weight"]*kl) / float64(n)
		}
		a.ZeroGrad()
		_, n := m.Forward(x, y, B, T, rand.New(rand.NewPCG(9, 9)))
		m.Backward(1 / float32(n))
		neuraltest.CheckArenaGrads(t, a, loss, rng, 8, cfg.Cell+" ")
	}
}

// The ELBO Forward reports is the reconstruction log-likelihood of each
// sentence under its drawn code, as the seam's states score it, minus the
// closed-form KL of the posterior the seam's Posterior gives.
func TestELBO(t *testing.T) {
	for _, cfg := range configs {
		m := newModel(t, cfg, 9)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.3 * rng.NormFloat64())
		}
		sents := [][]autoreg.Token{{1, 2, 3, 4}, {5}, {6, 7, 8, 0, 1, 2}}
		x, y, B, T := batch(m.vocab, sents)
		sum, n := m.Forward(x, y, B, T, nil)
		D := cfg.Latent
		var want float64
		var tokens int
		for b, s := range sents {
			xs := withEOS(m.vocab, s)
			tokens += len(xs)
			mean, lv := make([]float64, D), make([]float64, D)
			if err := m.Posterior(xs, mean, lv); err != nil {
				t.Fatal(err)
			}
			var kl float64
			for d := range D {
				kl += 0.5 * (mean[d]*mean[d] + math.Exp(lv[d]) - 1 - lv[d])
			}
			z := make([]float64, D)
			for d := range D {
				z[d] = float64(m.tr.dec.z[b*D+d])
				// The code is μ + σε with the posterior's μ and σ.
				if e := float64(m.tr.eps[b*D+d]); math.Abs(z[d]-(mean[d]+math.Exp(lv[d]/2)*e)) > 1e-5 {
					t.Fatalf("%s: z %v is not μ + σε", cfg.Cell, z)
				}
			}
			g, err := m.WithLatent(z)
			if err != nil {
				t.Fatal(err)
			}
			st := g.NewState()
			st.Append(m.vocab.BOS())
			var rec float64
			for _, x := range xs {
				rec -= st.LogProb(x)
				st.Append(x)
			}
			want += rec + kl
		}
		if n != tokens || math.Abs(sum-want) > 1e-5*want {
			t.Fatalf("%s: Forward %.6f over %d targets; reconstruction + KL %.6f over %d", cfg.Cell, sum, n, want, tokens)
		}
		parts, _ := m.LossParts()
		rec, kl := parts["rec"], parts["kl"]
		if math.Abs(rec+kl-sum) > 1e-9*sum || kl <= 0 {
			t.Fatalf("%s: terms %v + %v, sum %v", cfg.Cell, rec, kl, sum)
		}
	}
}

// Posterior (the encoder run token by token) agrees with the training
// path's posterior.
func TestPosterior(t *testing.T) {
	for _, cfg := range configs {
		m := newModel(t, cfg, 9)
		rng := rand.New(rand.NewPCG(5, 4))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.3 * rng.NormFloat64())
		}
		sents := [][]autoreg.Token{{1, 2, 3}, {4, 5, 6, 7, 8, 0}}
		x, y, B, T := batch(m.vocab, sents)
		m.Forward(x, y, B, T, nil)
		D := cfg.Latent
		for b, s := range sents {
			mean, lv := make([]float64, D), make([]float64, D)
			if err := m.Posterior(withEOS(m.vocab, s), mean, lv); err != nil {
				t.Fatal(err)
			}
			for d := range D {
				if math.Abs(mean[d]-float64(m.tr.post[b*2*D+d])) > 1e-5 || math.Abs(lv[d]-float64(m.tr.post[b*2*D+D+d])) > 1e-5 {
					t.Fatalf("%s: row %d: Posterior %v %v, training path %v", cfg.Cell, b, mean, lv, m.tr.post[b*2*D:(b+1)*2*D])
				}
			}
		}
		if err := m.Posterior([]autoreg.Token{99}, make([]float64, D), make([]float64, D)); err == nil {
			t.Fatal("an id outside the vocabulary accepted")
		}
	}
}

// hide hides a model's LatentScorer, so autoreg.ScoreLatents takes the
// state-by-state path.
type hide struct{ autoreg.Latent }

// ScoreLatents' batched pass agrees with States of WithLatent, also when
// the codes take several passes.
func TestScoreLatents(t *testing.T) {
	m := newModel(t, configs[0], 9)
	rng := rand.New(rand.NewPCG(6, 4))
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(0.3 * rng.NormFloat64())
	}
	for _, T := range []int{7, 400} {
		xs := make([]autoreg.Token, T)
		for i := range xs {
			xs[i] = autoreg.Token(rng.IntN(9))
		}
		xs[T-1] = m.vocab.EOS()
		zs := make([][]float64, 5)
		for k := range zs {
			zs[k] = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		}
		got, want := make([]float64, 5), make([]float64, 5)
		if err := autoreg.ScoreLatents(m, xs, zs, got); err != nil {
			t.Fatal(err)
		}
		if err := autoreg.ScoreLatents(hide{m}, xs, zs, want); err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if math.Abs(got[k]-want[k]) > 1e-5*math.Abs(want[k]) {
				t.Fatalf("T=%d code %d: batched %.6f, states %.6f", T, k, got[k], want[k])
			}
		}
	}
	if err := m.ScoreLatents([]autoreg.Token{1}, [][]float64{{1, 2}}, make([]float64, 1)); err == nil {
		t.Fatal("a code of the wrong size accepted")
	}
}

// At initialization the reconstruction loss is about ln V per token; a
// few hundred steps on one batch bring it far below.
func TestInitAndOverfit(t *testing.T) {
	for _, cell := range []string{rnn.LSTM, rnn.GRU} {
		m := newModel(t, Config{Cell: cell, Layers: 1, Hidden: 16, Latent: 4}, 20)
		rng := rand.New(rand.NewPCG(7, 4))
		sents := toySentences(rng, 4, 20)
		x, y, B, T := batch(m.vocab, sents)
		m.Forward(x, y, B, T, nil)
		parts, _ := m.LossParts()
		rec := parts["rec"]
		n := 0
		for _, s := range sents {
			n += len(s) + 1
		}
		if lnV := math.Log(float64(m.V)); math.Abs(rec/float64(n)-lnV) > 0.1 {
			t.Fatalf("%s: initial loss %.3f, ln V %.3f", cell, rec/float64(n), lnV)
		}
		fit(m, sents, 4, 300, 1e-2, rng)
		sum, n := m.Forward(x, y, B, T, nil)
		if sum/float64(n) > 0.5 {
			t.Fatalf("%s: after 300 steps on one batch the loss is %.3f", cell, sum/float64(n))
		}
	}
}

func TestDeterministicAcrossProcs(t *testing.T) {
	cfg := Config{Cell: rnn.LSTM, Layers: 1, Hidden: 64, Latent: 8, Dropout: 0.2, Objective: Objective{WordDropout: 0.25}}
	m := newModel(t, cfg, 40)
	rng := rand.New(rand.NewPCG(4, 4))
	x, y, B, T := batch(m.vocab, toySentences(rng, 8, 40))
	run := func(procs int) ([]float32, float64) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		fused.Zero(m.arena.Grads)
		s, n := m.Forward(x, y, B, T, rand.New(rand.NewPCG(9, 9)))
		m.Backward(1 / float32(n))
		return append([]float32(nil), m.arena.Grads...), s
	}
	g1, s1 := run(1)
	g2, s2 := run(3)
	if s1 != s2 {
		t.Fatalf("loss differs: %v vs %v", s1, s2)
	}
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("gradient %d differs", i)
		}
	}
}

// Rows that are not whole sentences are a programming error.
func TestForwardMisuse(t *testing.T) {
	m := newModel(t, configs[1], 9)
	x, y, B, T := batch(m.vocab, [][]autoreg.Token{{1, 2}})
	for name, f := range map[string]func(){
		"no <s>":             func() { x2 := append([]int32(nil), x...); x2[0] = 1; m.Forward(x2, y, B, T, nil) },
		"target after end":   func() { y2 := append([]int32(nil), y...); y2[T-1] = 1; y2[T-2] = Ignore; m.Forward(x, y2, B, T, nil) },
		"Backward first":     func() { (&Model{}).Backward(1) },
		"token out of range": func() { x2 := append([]int32(nil), x...); x2[1] = 99; m.Forward(x2, y, B, T, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// trained returns a model of cfg over base tokens trained a little on toy
// sentences, and a code from the posterior of one of them.
func trained(t testing.TB, cfg Config, base int) (*Model, []float64, [][]autoreg.Token) {
	m := newModel(t, cfg, base)
	rng := rand.New(rand.NewPCG(5, 5))
	sents := toySentences(rng, 64, base)
	fit(m, sents, 8, 40, 1e-2, rng)
	D := cfg.Latent
	mean, lv := make([]float64, D), make([]float64, D)
	if err := m.Posterior(withEOS(m.vocab, sents[0]), mean, lv); err != nil {
		t.Fatal(err)
	}
	return m, mean, sents
}

// teacher is the conformance suite's Options.Teacher for the decoder given
// z: the training path's decoder pass over one row.
func teacher(m *Model, z []float64) func(xs []autoreg.Token, dst []float64) {
	return func(xs []autoreg.Token, dst []float64) {
		T := len(xs) - 1
		var sc decScratch
		m.growDec(&sc, 1, T)
		for t := range T {
			sc.ids[t], sc.tgt[t] = int32(xs[t]), int32(xs[t+1])
		}
		for d, v := range z {
			sc.z[d] = float32(v)
		}
		m.decForward(&sc, nil)
		for i := range T {
			dst[i] = -float64(sc.losses[i])
		}
	}
}

// The seam's conformance suite on the decoder given a code. Tolerances as
// package rnn's fast path (the same layers): LogProb computes one entry
// of the log-softmax in float64; the teacher is the training pass.
func TestConformance(t *testing.T) {
	for _, cfg := range configs {
		m, z, sents := trained(t, cfg, 11)
		g, err := m.WithLatent(z)
		if err != nil {
			t.Fatal(err)
		}
		text := []autoreg.Token{m.vocab.BOS()}
		for _, s := range sents[:6] {
			text = append(append(text, s...), m.vocab.EOS(), m.vocab.BOS())
		}
		t.Run(fmt.Sprintf("%s-%dx%d", cfg.Cell, cfg.Layers, cfg.Hidden), func(t *testing.T) {
			modeltest.TestModel(t, g, modeltest.Options{
				Histories:  append(modeltest.Histories(m.vocab, 1, 40), text),
				LogProbTol: 2e-6,
				Teacher:    teacher(m, z),
				TeacherTol: 1e-5,
				SaveLoad: func(autoreg.Model) (autoreg.Model, error) {
					m2, err := roundTrip(m)
					if err != nil {
						return nil, err
					}
					return m2.WithLatent(z)
				},
			})
		})
	}
}

// States of different codes copy into each other, the code with them.
func TestCopyAcrossCodes(t *testing.T) {
	m, z, _ := trained(t, configs[0], 11)
	g1, _ := m.WithLatent(z)
	z2 := []float64{1.5, -2, 0.5}
	g2, _ := m.WithLatent(z2)
	s1, s2, ref := g1.NewState(), g2.NewState(), g2.NewState()
	xs := []autoreg.Token{m.vocab.BOS(), 3, 3, 3}
	s2.Append(xs...)
	ref.Append(xs...)
	s2.CopyTo(s1)
	s1.Reset()
	s1.Append(xs...)
	a, b := make([]float32, m.V), make([]float32, m.V)
	s1.LogProbs(a)
	ref.LogProbs(b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("a state reset after a copy from another code: %v, want %v", a, b)
		}
	}
	p0 := m.NewState()
	p0.Append(xs...)
	gz, _ := m.WithLatent(make([]float64, 3))
	pz := gz.NewState()
	pz.Append(xs...)
	p0.LogProbs(a)
	pz.LogProbs(b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("NewState is not the decoder given z = 0")
		}
	}
	if _, err := m.WithLatent([]float64{1, math.NaN(), 0}); err == nil {
		t.Fatal("a NaN code accepted")
	}
}

func roundTrip(m *Model) (*Model, error) {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, err
	}
	return Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, cfg := range configs {
		cfg.Dropout = 0.3
		cfg.Objective = Objective{Anneal: Anneal{Kind: AnnealCyclical, Cycles: 4, Ratio: 0.3}, FreeBits: 0.1, WordDropout: 0.35}
		m, err := New(cfg, autoreg.Vocab{Base: 9, Controls: []string{"x"}}, 2)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := roundTrip(m)
		if err != nil {
			t.Fatal(err)
		}
		if m2.cfg != m.cfg || m2.vocab.Controls[0] != "x" {
			t.Fatalf("%+v, want %+v", m2.cfg, m.cfg)
		}
		for i := range m.arena.Params {
			if m.arena.Params[i] != m2.arena.Params[i] {
				t.Fatal("weights differ")
			}
		}
		var buf bytes.Buffer
		m.WriteTo(&buf)
		if _, err := Read(bytes.NewReader(buf.Bytes()[:buf.Len()-4]), int64(buf.Len()-4)); err == nil {
			t.Fatal("truncated payload accepted")
		}
	}
}

func FuzzRead(f *testing.F) {
	m, _ := New(Config{Cell: rnn.GRU, Layers: 1, Hidden: 2, Embed: 3, Latent: 2,
		Objective: Objective{Anneal: Anneal{Kind: AnnealLinear, Steps: 5}}}, autoreg.Vocab{Base: 3}, 1)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		st := m.NewState()
		st.Append(0)
		_ = st.LogProb(0)
		mean, lv := make([]float64, m.cfg.Latent), make([]float64, m.cfg.Latent)
		_ = m.Posterior([]autoreg.Token{0}, mean, lv)
	})
}

// The toy language's only uncertainty is the class (ln 8 nats) and the
// length: a plain VAE collapses (the decoder reads the class from the
// first token and the KL goes to 0), while word dropout with KL annealing
// makes the code carry the class: KL near ln 8, and greedy decoding from
// a sentence's posterior mean starts with its class.
func TestLatentUse(t *testing.T) {
	for _, c := range []struct {
		obj      Objective
		used     bool
		minKL    float64
		maxKL    float64
		minFirst float64
	}{
		{Objective{}, false, 0, 0.3, 0},
		{Objective{WordDropout: 0.5, Anneal: Anneal{Kind: AnnealLinear, Steps: 150}}, true, 1.5, 3, 0.9},
	} {
		m := newModel(t, Config{Cell: rnn.LSTM, Layers: 1, Hidden: 32, Latent: 4, Objective: c.obj}, 8)
		rng := rand.New(rand.NewPCG(7, 4))
		sents := toySentences(rng, 256, 8)
		fit(m, sents, 16, 400, 1e-2, rng)
		test := toySentences(rng, 64, 8)
		x, y, B, T := batch(m.vocab, test)
		m.Forward(x, y, B, T, nil)
		parts, _ := m.LossParts()
		kl := parts["kl"] / float64(B)
		first := 0
		for _, s := range test {
			mean, lv := make([]float64, 4), make([]float64, 4)
			m.Posterior(withEOS(m.vocab, s), mean, lv)
			g, _ := m.WithLatent(mean)
			st := g.NewState()
			st.Append(m.vocab.BOS())
			lp := make([]float32, m.V)
			st.LogProbs(lp)
			best := 0
			for i := range m.vocab.Base {
				if lp[i] > lp[best] {
					best = i
				}
			}
			if autoreg.Token(best) == s[0] {
				first++
			}
		}
		frac := float64(first) / float64(len(test))
		t.Logf("%+v: KL %.3f nats per sentence, first token from the code %.2f", c.obj, kl, frac)
		if kl < c.minKL || kl > c.maxKL || frac < c.minFirst {
			t.Errorf("%+v: KL %.3f nats per sentence (want %g..%g), first token right from the code %.2f (want ≥ %g)",
				c.obj, kl, c.minKL, c.maxKL, frac, c.minFirst)
		}
	}
}
