package ngram

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
)

// conformance runs the seam's conformance checks on a model: distributions
// sum to 1, LogProb agrees with LogProbs, copies are independent, Append and
// LogProb do not allocate, Len and Reset behave.
func conformance(t *testing.T, m autoreg.Model, rng *rand.Rand, histories int) {
	t.Helper()
	voc := m.Vocab()
	V := voc.Size()
	dst := make([]float32, V)
	randTok := func() autoreg.Token { return autoreg.Token(rng.IntN(V)) }
	for h := 0; h < histories; h++ {
		st := m.NewState()
		l := rng.IntN(12)
		if rng.IntN(2) == 0 {
			st.Append(voc.BOS())
			l--
		}
		for i := 0; i < l; i++ {
			st.Append(randTok())
		}
		st.LogProbs(dst)
		sum := 0.0
		for _, lp := range dst {
			sum += math.Exp(float64(lp))
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Fatalf("history %d: probabilities sum to %.9f", h, sum)
		}
		if !math.IsInf(float64(dst[voc.BOS()]), -1) {
			t.Fatalf("history %d: log P(<s>) = %g, want -Inf", h, dst[voc.BOS()])
		}
		for k := 0; k < 20; k++ {
			x := randTok()
			got := st.LogProb(x)
			if x == voc.BOS() {
				if !math.IsInf(got, -1) {
					t.Fatalf("LogProb(<s>) = %g", got)
				}
				continue
			}
			if float32(got) != dst[x] {
				t.Fatalf("history %d: float32(LogProb(%d)) = %.9g, LogProbs = %.9g: not bit-identical", h, x, float32(got), dst[x])
			}
		}
	}

	// Copies are independent, and CopyTo reproduces the state.
	a := m.NewState()
	for i := 0; i < 5; i++ {
		a.Append(randTok())
	}
	b := m.NewState()
	b.Append(randTok(), randTok()) // overwritten by CopyTo
	a.CopyTo(b)
	if a.Len() != b.Len() {
		t.Fatalf("copy Len %d, original %d", b.Len(), a.Len())
	}
	x, y := randTok(), randTok()
	pa, pb := a.LogProb(y), b.LogProb(y)
	if pa != pb && !(math.IsInf(pa, -1) && math.IsInf(pb, -1)) {
		t.Fatalf("copy scores %g, original %g", pb, pa)
	}
	before := a.LogProb(y)
	b.Append(x, x, x)
	if after := a.LogProb(y); after != before && !math.IsInf(after, -1) {
		t.Fatalf("appending to the copy changed the original: %g -> %g", before, after)
	}
	// The same history built from scratch scores the same.
	c := m.NewState()
	for i := 0; i < 3; i++ {
		c.Append(randTok())
	}
	c.Reset()
	if c.Len() != 0 {
		t.Fatalf("Len after Reset = %d", c.Len())
	}
	e := m.NewState()
	seq := []autoreg.Token{randTok(), randTok(), randTok(), randTok()}
	c.Append(seq...)
	for _, s := range seq {
		e.Append(s)
	}
	if c.Len() != 4 || e.Len() != 4 {
		t.Fatalf("Len = %d, %d, want 4", c.Len(), e.Len())
	}
	if p, q := c.LogProb(y), e.LogProb(y); p != q && !(math.IsInf(p, -1) && math.IsInf(q, -1)) {
		t.Fatalf("Reset+Append(all) scores %g, Append one by one %g", p, q)
	}

	// Append and LogProb, the scoring loop, allocate nothing. (Through the
	// interface, a variadic call st.Append(x) makes Go allocate the argument
	// slice on the caller's side; callers pass a reused slice instead.)
	toks := make([]autoreg.Token, 64)
	for i := range toks {
		toks[i] = randTok()
	}
	st := m.NewState()
	cp := m.NewState()
	allocs := testing.AllocsPerRun(20, func() {
		for i, x := range toks {
			st.LogProb(x)
			st.Append(toks[i : i+1]...)
		}
		st.CopyTo(cp)
		st.Reset()
	})
	if allocs != 0 {
		t.Fatalf("Append+LogProb+CopyTo allocate %.1f times per run", allocs)
	}
}

func TestConformanceSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for order := 1; order <= 8; order++ {
		voc := autoreg.Vocab{Base: 4 + order, Controls: []string{"a", "b"}}
		opts := Options{Order: order}
		if order%2 == 0 {
			opts.Prune = []uint64{0, 0, 1}[:min(3, order)]
		}
		m := buildModel(t, voc, opts, randomStream(rng, voc, 500))
		conformance(t, m, rng, 40)
	}
}

func TestConformancePTB(t *testing.T) {
	m := ptbModel(t, 5)
	conformance(t, m, rand.New(rand.NewPCG(5, 6)), 30)
}

func TestConcreteStateDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	voc := autoreg.Vocab{Base: 7}
	m := buildModel(t, voc, Options{Order: 4}, randomStream(rng, voc, 300))
	st := m.NewState().(*State)
	toks := randomStream(rng, voc, 10)
	allocs := testing.AllocsPerRun(20, func() {
		for _, x := range toks {
			st.LogProb(x)
			st.Append(x)
		}
	})
	if allocs != 0 {
		t.Fatalf("*State.Append(x) allocates %.1f times per run", allocs)
	}
}

// TestFastPathMatchesSlowPath: the fast LogProb+Append loop (which
// reuses LogProb's probes) scores like LogProbs on fresh states.
func TestFastPathMatchesSlowPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	voc := autoreg.Vocab{Base: 9}
	m := buildModel(t, voc, Options{Order: 5}, randomStream(rng, voc, 800))
	xs := randomStream(rng, voc, 50)
	fast := m.NewState()
	slow := m.NewState()
	dst := make([]float32, voc.Size())
	for i, x := range xs {
		got := fast.LogProb(x)
		fast.Append(x)
		slow.LogProbs(dst)
		slow.LogProb(voc.EOS()) // a different token: the cache must not leak into Append(x)
		slow.Append(x)
		if x == voc.BOS() {
			continue
		}
		if math.Abs(got-float64(dst[x])) > 1e-5*max(1, math.Abs(got)) {
			t.Fatalf("token %d: fast %g, slow %g", i, got, dst[x])
		}
	}
}

func TestScoreSequence(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	voc := autoreg.Vocab{Base: 8}
	m := buildModel(t, voc, Options{Order: 4}, randomStream(rng, voc, 500))
	xs := randomStream(rng, voc, 40)
	a, b := m.NewState(), m.NewState()
	a.Append(voc.BOS())
	b.Append(voc.BOS())
	dst := make([]float64, len(xs))
	m.ScoreSequence(a, xs, dst)
	for i, x := range xs {
		want := b.LogProb(x)
		b.Append(x)
		if dst[i] != want && !(math.IsInf(dst[i], -1) && math.IsInf(want, -1)) {
			t.Fatalf("token %d: ScoreSequence %g, LogProb %g", i, dst[i], want)
		}
	}
	if a.Len() != b.Len() || a.LogProb(1) != b.LogProb(1) {
		t.Fatalf("states differ after ScoreSequence")
	}
	other := buildModel(t, voc, Options{Order: 2}, xs)
	defer func() {
		if recover() == nil {
			t.Errorf("ScoreSequence with another model's state did not panic")
		}
	}()
	m.ScoreSequence(other.NewState(), xs[:1], dst[:1])
}
