package wavenet

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// Small configurations: one and several stacks, a separate output width,
// widths that are and are not multiples of the kernels' panels.
var configs = []Config{
	{Layers: 3, Stacks: 2, Residual: 5, Gate: 4, Skip: 6},
	{Layers: 2, Stacks: 1, Residual: 8, Gate: 8, Skip: 8, Out: 5},
	{Layers: 4, Stacks: 1, Residual: 3, Gate: 2, Skip: 4},
}

func newModel(t testing.TB, cfg Config, v autoreg.Vocab) *Model {
	t.Helper()
	m, err := New(cfg, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every gradient against central differences, with control codes (the
// conditioning tables) and windows shorter and longer than the dilations.
func TestModelGrad(t *testing.T) {
	for _, cfg := range configs {
		for _, sh := range [][2]int{{2, 5}, {3, 11}} {
			B, T := sh[0], sh[1]
			m := newModel(t, cfg, autoreg.Vocab{Base: 9, Controls: []string{"a", "b"}})
			a := m.arena
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range a.Params {
				a.Params[i] += float32(0.2 * rng.NormFloat64())
			}
			x := neuraltest.RandTokens(rng, B*T, m.V)
			y := neuraltest.RandTokens(rng, B*T, m.V)
			x[2] = int32(m.vocab.Base + autoreg.NumReserved + 1) // a control code in force from position 2
			// Targets at a third of the positions (the last of each window
			// among them, which sees every tap): fewer ReLU kinks for the
			// differences to cross.
			for i := range y {
				if i%3 != 2 && i%T != T-1 {
					y[i] = Ignore
				}
			}
			loss := func() float64 { s, _ := m.Forward(x, y, B, T, nil); return s }
			a.ZeroGrad()
			m.Forward(x, y, B, T, nil)
			m.Backward(1)
			neuraltest.CheckArenaGradsKinked(t, a, loss, rng, 12, fmt.Sprintf("%+v %dx%d: ", cfg, B, T))
		}
	}
}

// The loss at initialization is close to ln V, and a model overfits one
// batch.
func TestInitAndOverfit(t *testing.T) {
	m := newModel(t, Config{Layers: 3, Stacks: 1, Residual: 16, Gate: 16, Skip: 16}, autoreg.Vocab{Base: 40})
	rng := rand.New(rand.NewPCG(3, 4))
	B, T := 2, 32
	x, y := neuraltest.RandTokens(rng, B*T, 40), neuraltest.RandTokens(rng, B*T, 40)
	s, n := m.Forward(x, y, B, T, nil)
	if l := s / float64(n); math.Abs(l-math.Log(float64(m.V))) > 0.1 {
		t.Fatalf("initial loss %.3f, ln V = %.3f", l, math.Log(float64(m.V)))
	}
	a := m.arena
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	var l float64
	for step := 1; step <= 300; step++ {
		a.ZeroGrad()
		s, n := m.Forward(x, y, B, T, nil)
		l = s / float64(n)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
	}
	if l > 0.1 {
		t.Fatalf("loss %.3f after 300 steps on one batch", l)
	}
}

func trained(t testing.TB, cfg Config, base int) (*Model, []autoreg.Token) {
	t.Helper()
	m := newModel(t, cfg, autoreg.Vocab{Base: base, Controls: []string{"c", "d"}})
	rng := rand.New(rand.NewPCG(5, 5))
	stream := neuraltest.PatternStream(rng, m.vocab, 1000)
	neuraltest.Fit(m, stream, 4, 16, 40, 1e-2, rng)
	return m, stream[:150]
}

// The seam's conformance suite. Tolerances, each a small multiple of the
// largest difference seen: LogProb computes one log-softmax entry in
// float64 where LogProbs rounds the vector to float32; the teacher is the
// training Forward, whose products sum in another order than generation's
// one-row products.
func TestConformance(t *testing.T) {
	for _, cfg := range configs {
		m, text := trained(t, cfg, 11)
		t.Run(fmt.Sprintf("%dx%d-%d", cfg.Layers, cfg.Stacks, cfg.Residual), func(t *testing.T) {
			conformance(t, m, text, false)
		})
	}
}

// TestExactState runs the conformance suite on the exact state: every
// path bit for bit against itself, within 1e-5 of the fast state (the
// twin), against the training path as the fast state is.
func TestExactState(t *testing.T) {
	for _, cfg := range configs {
		m, text := trained(t, cfg, 11)
		t.Run(fmt.Sprintf("%dx%d-%d", cfg.Layers, cfg.Stacks, cfg.Residual), func(t *testing.T) {
			conformance(t, m, text, true)
		})
	}
}

// TestStepWide: a model wide enough for the kernels' vector paths and
// several panels per product steps batches to the bits of Append.
func TestStepWide(t *testing.T) {
	m, text := trained(t, Config{Layers: 3, Stacks: 1, Residual: 32, Gate: 32, Skip: 96}, 11)
	modeltest.TestModel(t, m, modeltest.Options{
		Histories: append(modeltest.Histories(m.vocab, 1, 40), text),
		Only:      []modeltest.Check{modeltest.Step},
	})
}

// conformance runs the suite on m's fast states, or its exact ones.
func conformance(t *testing.T, m *Model, text []autoreg.Token, exact bool) {
	o := modeltest.Options{
		Histories:  append(modeltest.Histories(m.vocab, 1, 40), text),
		LogProbTol: 2e-6,
		Teacher:    neuraltest.TeacherForced(m, nil, func() []float32 { return m.tr.losses }),
		TeacherTol: 2e-6,
		SaveLoad:   modeltest.PayloadRoundTrip(Read),
	}
	if exact {
		o.NewState, o.BitExact = modeltest.ExactState, true
		o.Twin, o.TwinTol = modeltest.FastState, 1e-5
		o.TeacherTol = 1e-5
	}
	modeltest.TestModel(t, m, o)
}

// A prediction sees exactly the receptive field: changing the token
// ReceptiveField()−1 steps back changes it, one step further does not.
func TestReceptiveField(t *testing.T) {
	cfg := Config{Layers: 3, Stacks: 2, Residual: 6, Gate: 4, Skip: 5}
	m := newModel(t, cfg, autoreg.Vocab{Base: 7})
	rf := cfg.ReceptiveField()
	if rf != 15 {
		t.Fatalf("receptive field %d, want 2·7+1", rf)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	xs := make([]autoreg.Token, 40)
	for i := range xs {
		xs[i] = autoreg.Token(rng.IntN(7))
	}
	probe := func(xs []autoreg.Token) []float32 {
		s := m.NewState()
		s.Append(xs...)
		lp := make([]float32, m.V)
		s.LogProbs(lp)
		return lp
	}
	base := probe(xs)
	for back, want := range map[int]bool{rf: true, rf + 1: false} {
		ys := append([]autoreg.Token(nil), xs...)
		i := len(xs) - back
		ys[i] = (ys[i] + 1) % 7
		got := probe(ys)
		changed := false
		for k := range got {
			changed = changed || got[k] != base[k]
		}
		if changed != want {
			t.Errorf("changing the token %d back: changed %v, want %v", back, changed, want)
		}
	}
}

// A global control code conditions every later position, however far
// back it came, and <s> clears it.
func TestGlobalConditioning(t *testing.T) {
	m, _ := trained(t, Config{Layers: 2, Stacks: 1, Residual: 6, Gate: 4, Skip: 5}, 11)
	v := m.vocab
	c0, _ := v.Control("c")
	c1, _ := v.Control("d")
	long := make([]autoreg.Token, 50)
	for i := range long {
		long[i] = autoreg.Token(i % 11)
	}
	dist := func(prefix ...autoreg.Token) []float32 {
		s := m.NewState()
		s.Append(prefix...)
		s.Append(long...)
		lp := make([]float32, m.V)
		s.LogProbs(lp)
		return lp
	}
	a, b := dist(v.BOS(), c0), dist(v.BOS(), c1)
	if fmt.Sprint(a) == fmt.Sprint(b) {
		t.Fatal("the control code 50 samples back does not change the prediction")
	}
	if c, d := dist(c0, v.BOS()), dist(c1, v.BOS()); fmt.Sprint(c) != fmt.Sprint(d) {
		t.Fatal("<s> does not clear the control code")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	m := newModel(t, configs[0], autoreg.Vocab{Base: 9, Controls: []string{"x"}})
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if m2.cfg != m.cfg || m2.vocab.Controls[0] != "x" || !equal(m2.arena.Params, m.arena.Params) {
		t.Fatal("round trip changed the model")
	}
	for n := range buf.Len() {
		if n%7 != 0 && n < buf.Len()-8 {
			continue
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()[:n]), int64(n)); err == nil {
			t.Fatalf("a payload cut to %d bytes reads", n)
		}
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func FuzzRead(f *testing.F) {
	m, _ := New(configs[1], autoreg.Vocab{Base: 5, Controls: []string{"x"}}, 1)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := Read(bytes.NewReader(b), int64(len(b))); err == nil {
			s := m.NewState()
			s.Append(0, 1)
			s.LogProb(0)
		}
	})
}
