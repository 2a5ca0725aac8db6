package rnn

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

// trained returns a model of cfg over base ordinary tokens and a control
// code, trained a few steps on neuraltest.PatternStream so that its
// distributions are far from uniform, and a stretch of that stream.
func trained(t testing.TB, cfg Config, base int) (*Model, []autoreg.Token) {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: base, Controls: []string{"c"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	stream := neuraltest.PatternStream(rng, m.vocab, 1000)
	neuraltest.Fit(m, stream, 4, 16, 30, 1e-2, rng)
	return m, stream[:2*scoreChunk+7]
}

// conformance is the seam's conformance suite for m's states (the fast
// ones, or with exact the bit-exact ones beside the fast twin), on the
// default histories and text like the training stream, long enough that
// ScoreSequence crosses its chunks. The fast path's tolerances, each 8 to
// 50 times the largest difference seen (1e-7 to 5e-7, with the assembly
// kernels and with -tags noasm): LogProb computes one log-softmax entry in
// float64 where LogProbs rounds the vector to float32; ScoreSequence runs
// the output layer as one matrix product per chunk (another summation
// order than the per-token product); the teacher is the training Forward;
// the twin of the exact path is the fast path. Long Appends step token by
// token: the same bits.
func conformance(t *testing.T, m *Model, text []autoreg.Token, exact bool) {
	o := modeltest.Options{
		Histories:  append(modeltest.Histories(m.vocab, 1, 40), text),
		LogProbTol: 2e-6,
		ScoreTol:   1e-5,
		Teacher:    neuraltest.TeacherForced(m, func() { clear(m.Carry(1)) }, func() []float32 { return m.tr.losses }),
		TeacherTol: 1e-5,
		SaveLoad:   modeltest.PayloadRoundTrip(Read),
	}
	if exact {
		o.NewState, o.BitExact = modeltest.ExactState, true
		o.Twin, o.TwinTol = modeltest.FastState, 1e-5
	}
	modeltest.TestModel(t, m, o)
}

func TestConformance(t *testing.T) {
	for _, cfg := range configs {
		m, text := trained(t, cfg, 11)
		t.Run(fmt.Sprintf("%s-%dx%d", cfg.Cell, cfg.Layers, cfg.Hidden), func(t *testing.T) {
			conformance(t, m, text, false)
		})
	}
}

// The exact state, for both cells, at widths that take the exact kernels'
// vector paths (multiples of 32) and their tails.
func TestExactState(t *testing.T) {
	for _, cfg := range append([]Config{{Cell: LSTM, Layers: 2, Hidden: 32}, {Cell: GRU, Layers: 2, Hidden: 32, Embed: 64}}, configs...) {
		m, text := trained(t, cfg, 40)
		t.Run(fmt.Sprintf("%s-%dx%d", cfg.Cell, cfg.Layers, cfg.Hidden), func(t *testing.T) {
			conformance(t, m, text, true)
		})
	}
}

// Carrying the training state across two half batches equals one batch.
func TestCarry(t *testing.T) {
	for _, cfg := range configs {
		m := newModel(t, cfg, 11)
		rng := rand.New(rand.NewPCG(5, 5))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.1 * rng.NormFloat64())
		}
		T := 40
		seq := neuraltest.RandTokens(rng, T+1, m.V)
		clear(m.Carry(1))
		whole, _ := m.Forward(seq[:T], seq[1:], 1, T, nil)
		clear(m.Carry(1))
		s1, _ := m.Forward(seq[:T/2], seq[1:T/2+1], 1, T/2, nil)
		s2, _ := m.Forward(seq[T/2:T], seq[T/2+1:], 1, T-T/2, nil)
		if math.Abs(s1+s2-whole) > 1e-4*whole {
			t.Fatalf("%s: halves %v, whole %v", cfg.Cell, s1+s2, whole)
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

// A wider model, whose products may take the kernels' parallel paths:
// generation allocates nothing and gives the same bits for any GOMAXPROCS.
func TestGenerationWide(t *testing.T) {
	m, _ := trained(t, Config{Cell: GRU, Layers: 2, Hidden: 64}, 40)
	modeltest.TestModel(t, m, modeltest.Options{Only: []modeltest.Check{modeltest.Allocs, modeltest.Procs}})
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

// The exact path's bits, pinned: models whose weights are the same bits
// everywhere (neuraltest.DyadicParams) give distributions along the
// suite's default histories that hash to these values on every platform
// and build (scripts/test-lmzip-crossarch.sh runs this under -tags noasm).
func TestExactGolden(t *testing.T) {
	for _, c := range []struct {
		cfg    Config
		golden string
	}{
		{Config{Cell: LSTM, Layers: 2, Hidden: 32}, "8f3c5599f1e9a7e45a823be5f4bfd833b5120533e4f2e97f5e54aac06beb80ba"},
		{Config{Cell: GRU, Layers: 2, Hidden: 32, Embed: 64}, "1a3a0ecdc7b52c52accdda881ad25512a844b87f9d3e30a7b9d441ecef756e67"},
		{Config{Cell: LSTM, Layers: 1, Hidden: 6}, "79b8e4b0ebe513f2ddf72f7e549cf9c80f02492ee035545fbed384958c63f6db"},
		{Config{Cell: GRU, Layers: 2, Hidden: 8, Embed: 5}, "0b964600359020d9bab43da95ca67f21d76baf852d36fb2810816e552042b40a"},
	} {
		m := newModel(t, c.cfg, 13)
		neuraltest.DyadicParams(m.arena, 1)
		t.Run(fmt.Sprintf("%s-%dx%d", c.cfg.Cell, c.cfg.Layers, c.cfg.Hidden), func(t *testing.T) {
			modeltest.TestModel(t, m, modeltest.Options{
				NewState: modeltest.ExactState,
				BitExact: true,
				Golden:   c.golden,
				Only:     []modeltest.Check{modeltest.BitExact},
			})
		})
	}
}
