package rnn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/nn"
)

func newModel(t testing.TB, cfg Config, base int) *Model {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: base}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var configs = []Config{
	{Cell: LSTM, Layers: 2, Hidden: 8, Embed: 5},
	{Cell: LSTM, Layers: 1, Hidden: 6},
	{Cell: GRU, Layers: 2, Hidden: 8, Embed: 5},
	{Cell: GRU, Layers: 1, Hidden: 6},
}

func TestModelGrad(t *testing.T) {
	// 2×5 positions multiply every input by W; 3×8 positions (at least
	// twice the 12 ids) take layer 0's input projection through the
	// per-token table (lookupInput).
	for _, sh := range [][2]int{{2, 5}, {3, 8}} {
		for _, cfg := range configs {
			testModelGrad(t, cfg, sh[0], sh[1])
		}
	}
}

func testModelGrad(t *testing.T, cfg Config, B, T int) {
	m := newModel(t, cfg, 9)
	a := m.arena
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range a.Params {
		a.Params[i] += float32(0.2 * rng.NormFloat64())
	}
	if got, want := m.lookupInput(m.acts(B, T)), m.V <= B*T/2; got != want {
		t.Fatalf("%d×%d positions, %d ids: lookupInput %v", B, T, m.V, got)
	}
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	y[4] = Ignore
	// A nonzero carried state: the gradient treats it as a constant.
	start := append([]float32(nil), m.Carry(B)...)
	for i := range start {
		start[i] = float32(0.3 * rng.NormFloat64())
	}
	loss := func() float64 {
		copy(m.Carry(B), start)
		s, n := m.Forward(x, y, B, T, nil)
		return s / float64(n)
	}
	a.ZeroGrad()
	copy(m.Carry(B), start)
	_, n := m.Forward(x, y, B, T, nil)
	m.Backward(1 / float32(n))
	neuraltest.CheckArenaGrads(t, a, loss, rng, 8, fmt.Sprintf("%s %d×%d ", cfg.Cell, B, T))
}

func TestInitLossAndOverfit(t *testing.T) {
	for _, cfg := range []Config{{Cell: LSTM, Layers: 2, Hidden: 32}, {Cell: GRU, Layers: 1, Hidden: 32, Embed: 16}} {
		m := newModel(t, cfg, 30)
		rng := rand.New(rand.NewPCG(3, 3))
		B, T := 4, 12
		x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
		s, n := m.Forward(x, y, B, T, nil)
		if lnV := math.Log(float64(m.V)); math.Abs(s/float64(n)-lnV) > 0.1 {
			t.Fatalf("%s: initial loss %.4f, ln V %.4f", cfg.Cell, s/float64(n), lnV)
		}
		a := m.arena
		mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
		var loss float64
		for step := 1; step <= 200; step++ {
			clear(m.Carry(B))
			a.ZeroGrad()
			s, n := m.Forward(x, y, B, T, nil)
			loss = s / float64(n)
			m.Backward(1 / float32(n))
			neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
		}
		if loss > 0.1 {
			t.Fatalf("%s: loss %.4f after 200 steps on one batch", cfg.Cell, loss)
		}
	}
}

// Incremental per-token log-probs equal the batched teacher-forced loss
// (relative 1e-4); carrying the state across two half batches equals one
// batch; copies are independent.
func TestConformance(t *testing.T) {
	for _, cfg := range configs {
		m := newModel(t, cfg, 11)
		rng := rand.New(rand.NewPCG(5, 5))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.1 * rng.NormFloat64())
		}
		T := 2*scoreChunk + 7 // ScoreSequence crosses chunk boundaries
		seq := neuraltest.RandTokens(rng, T+1, m.V)
		clear(m.Carry(1))
		m.Forward(seq[:T], seq[1:], 1, T, nil)
		batched := append([]float32(nil), m.tr.losses...)

		st := m.NewState()
		st.Append(autoreg.Token(seq[0]))
		lp := make([]float32, m.V)
		for i := 1; i <= T; i++ {
			got := -st.LogProb(autoreg.Token(seq[i]))
			if want := float64(batched[i-1]); math.Abs(got-want) > 1e-4*want {
				t.Fatalf("%s position %d: incremental %.7g, batched %.7g", cfg.Cell, i, got, want)
			}
			st.LogProbs(lp)
			var s float64
			for _, v := range lp {
				s += math.Exp(float64(v))
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("probabilities sum to %v", s)
			}
			st.Append(autoreg.Token(seq[i]))
		}

		// ScoreSequence agrees.
		sc := m.NewState()
		sc.Append(autoreg.Token(seq[0]))
		xs := make([]autoreg.Token, T)
		for i := range xs {
			xs[i] = autoreg.Token(seq[i+1])
		}
		scores := make([]float64, T)
		m.ScoreSequence(sc, xs, scores)
		for i, v := range scores {
			if want := float64(batched[i]); math.Abs(-v-want) > 1e-4*want {
				t.Fatalf("%s ScoreSequence %d: %v, batched %v", cfg.Cell, i, -v, want)
			}
		}
		if got, want := sc.LogProb(3), st.LogProb(3); math.Abs(got-want) > 1e-5 {
			t.Fatalf("state after ScoreSequence: %v vs %v", got, want)
		}

		// Two halves with the carried state = the whole.
		clear(m.Carry(1))
		s1, _ := m.Forward(seq[:T/2], seq[1:T/2+1], 1, T/2, nil)
		s2, _ := m.Forward(seq[T/2:T], seq[T/2+1:], 1, T-T/2, nil)
		var whole float64
		for _, v := range batched {
			whole += float64(v)
		}
		if math.Abs(s1+s2-whole) > 1e-4*whole {
			t.Fatalf("%s: halves %v, whole %v", cfg.Cell, s1+s2, whole)
		}

		a, b := m.NewState(), m.NewState()
		a.Append(1, 2, 3)
		a.CopyTo(b)
		before := b.LogProb(4)
		a.Append(5)
		if b.LogProb(4) != before {
			t.Fatal("copy changed with its source")
		}
		b.Append(5)
		if a.LogProb(6) != b.LogProb(6) {
			t.Fatal("copy diverged")
		}
	}
}

func TestDeterministicAcrossProcs(t *testing.T) {
	m := newModel(t, Config{Cell: LSTM, Layers: 2, Hidden: 64, Dropout: 0.2}, 40)
	rng := rand.New(rand.NewPCG(4, 4))
	B, T := 8, 16
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	run := func(procs int) ([]float32, float64) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		clear(m.Carry(B))
		nn.Zero(m.arena.Grads)
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

func TestGenerationAllocs(t *testing.T) {
	m := newModel(t, Config{Cell: GRU, Layers: 2, Hidden: 64}, 40)
	st := m.newState()
	lp := make([]float32, m.V)
	st.Append(1, 2, 3)
	tok := autoreg.Token(0)
	if n := testing.AllocsPerRun(200, func() {
		st.Append(tok)
		st.LogProbs(lp)
		_ = st.LogProb(tok)
		tok = (tok + 1) % autoreg.Token(m.V)
	}); n != 0 {
		t.Fatalf("%v allocations per token", n)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, cfg := range configs {
		m, _ := New(cfg, autoreg.Vocab{Base: 9, Controls: []string{"x"}}, 2)
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		m2, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if m2.cfg != m.cfg || m2.vocab.Controls[0] != "x" {
			t.Fatalf("%+v", m2.cfg)
		}
		for i := range m.arena.Params {
			if m.arena.Params[i] != m2.arena.Params[i] {
				t.Fatal("weights differ")
			}
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()[:buf.Len()-4]), int64(buf.Len()-4)); err == nil {
			t.Fatal("truncated payload accepted")
		}
	}
}

func FuzzRead(f *testing.F) {
	m, _ := New(Config{Cell: GRU, Layers: 1, Hidden: 2, Embed: 3}, autoreg.Vocab{Base: 3}, 1)
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
	})
}

// The exact state against the fast one, for both cells, at widths that
// take the exact kernels' vector paths (multiples of 32) and their tails.
func TestExactState(t *testing.T) {
	for _, cfg := range append([]Config{{Cell: LSTM, Layers: 2, Hidden: 32}, {Cell: GRU, Layers: 2, Hidden: 32, Embed: 64}}, configs...) {
		m := newModel(t, cfg, 40)
		rng := rand.New(rand.NewPCG(9, 9))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.2 * rng.NormFloat64())
		}
		seq := make([]autoreg.Token, 40)
		for i := range seq {
			seq[i] = autoreg.Token(rng.IntN(m.V))
		}
		seq[0] = m.vocab.BOS()
		neuraltest.CheckExactState(t, m, seq)
	}
}
