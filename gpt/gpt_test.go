package gpt

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

var tinyCfg = Config{Layers: 2, Dim: 16, Heads: 2, Context: 12}

func tinyModel(t testing.TB, cfg Config, base int) *Model {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: base}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInitLoss(t *testing.T) {
	m := tinyModel(t, Config{Layers: 2, Dim: 32, Heads: 4, Context: 32}, 61)
	rng := rand.New(rand.NewPCG(1, 1))
	B, T := 4, 32
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	sum, n := m.Forward(x, y, B, T, nil)
	loss := sum / float64(n)
	if lnV := math.Log(float64(m.V)); math.Abs(loss-lnV) > 0.05 {
		t.Fatalf("initial loss %.4f, want ≈ ln V = %.4f", loss, lnV)
	}
}

// The whole model's gradient against central differences of the mean
// loss, on a sample of parameters of every view.
func TestModelGrad(t *testing.T) {
	m := tinyModel(t, tinyCfg, 9)
	a := m.arena
	// Larger weights than the init so every path carries signal.
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range a.Params {
		a.Params[i] += float32(0.1 * rng.NormFloat64())
	}
	B, T := 2, 7
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	y[3] = Ignore
	loss := func() float64 {
		s, n := m.Forward(x, y, B, T, nil)
		return s / float64(n)
	}
	a.ZeroGrad()
	_, n := m.Forward(x, y, B, T, nil)
	m.Backward(1 / float32(n))
	neuraltest.CheckArenaGrads(t, a, loss, rng, 6, "")
}

func TestOverfitOneBatch(t *testing.T) {
	m := tinyModel(t, Config{Layers: 2, Dim: 32, Heads: 2, Context: 16}, 20)
	rng := rand.New(rand.NewPCG(3, 3))
	B, T := 2, 16
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	a := m.arena
	mo := make([]float32, a.Len())
	vo := make([]float32, a.Len())
	var loss float64
	for step := 1; step <= 150; step++ {
		a.ZeroGrad()
		s, n := m.Forward(x, y, B, T, nil)
		loss = s / float64(n)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 3e-3)
	}
	if loss > 0.1 {
		t.Fatalf("loss after 150 steps on one batch: %.4f, want < 0.1", loss)
	}
}

func TestDeterministicAcrossProcs(t *testing.T) {
	m := tinyModel(t, Config{Layers: 2, Dim: 64, Heads: 4, Context: 64, Dropout: 0.1}, 30)
	rng := rand.New(rand.NewPCG(4, 4))
	B, T := 4, 64
	x, y := neuraltest.RandTokens(rng, B*T, m.V), neuraltest.RandTokens(rng, B*T, m.V)
	// With dropout (training) and without (the fused bias sums).
	for _, dropout := range []bool{true, false} {
		run := func(procs int) ([]float32, float64) {
			prev := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(prev)
			m.arena.ZeroGrad()
			var r *rand.Rand
			if dropout {
				r = rand.New(rand.NewPCG(9, 9))
			}
			s, n := m.Forward(x, y, B, T, r)
			m.Backward(1 / float32(n))
			return append([]float32(nil), m.arena.Grads...), s
		}
		g1, s1 := run(1)
		for _, procs := range []int{2, 3, 4} {
			g2, s2 := run(procs)
			if s1 != s2 {
				t.Fatalf("dropout %v, GOMAXPROCS=%d: loss differs: %v vs %v", dropout, procs, s1, s2)
			}
			for i := range g1 {
				if g1[i] != g2[i] {
					t.Fatalf("dropout %v, GOMAXPROCS=%d: gradient %d differs: %v vs %v", dropout, procs, i, g1[i], g2[i])
				}
			}
		}
	}
}

// trained returns a model of cfg over base ordinary tokens and two control
// codes, trained a few steps on neuraltest.PatternStream so that its
// distributions are far from uniform, and n tokens of that stream.
func trained(t testing.TB, cfg Config, base, n int) (*Model, []autoreg.Token) {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: base, Controls: []string{"p", "q"}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	stream := neuraltest.PatternStream(rng, m.vocab, max(1000, n))
	neuraltest.Fit(m, stream, 4, cfg.Context, 30, 1e-2, rng)
	return m, stream[:n]
}

// histories are the conformance suite's histories for m: the defaults
// (<s> then ordinary tokens, whose windows ScoreSequence batches from any
// start past the <s>; tokens from the whole vocabulary), n tokens long;
// text like the training stream; <s>, a control code, then ordinary tokens
// over several windows (which pin the <s> and the code); and that history
// cut where a window shifts, or one token later, followed by a new
// sequence under another code (the shift pins the old code, or the new
// sequence's <s> unpins it).
func histories(m *Model, text []autoreg.Token, n int) [][]autoreg.Token {
	v, T := m.vocab, m.cfg.Context
	hs := append(modeltest.Histories(v, 2, n), text)
	q, _ := v.Control("q")
	p, _ := v.Control("p")
	tagged := append([]autoreg.Token{v.BOS(), q}, modeltest.Histories(v, 3, 3*T)[0][1:]...)
	hs = append(hs, tagged)
	shift := T + 2*(T-T/2) // token by token, the window shifts as this token comes
	for _, at := range []int{shift, shift + 1} {
		hs = append(hs, append(slices.Clip(tagged[:at]), v.BOS(), p, 1, 2, 3))
	}
	return hs
}

// conformance is the seam's conformance suite for m's states (the fast
// ones, or with exact the bit-exact ones beside the fast twin). The fast
// path's tolerances, each 8 to 40 times the largest difference seen (2e-7
// to 5e-7, with the assembly kernels and with -tags noasm): LogProb
// computes one log-softmax entry in float64 where LogProbs rounds the
// vector to float32; a long Append encodes the window it ends with in one
// batched pass, and ScoreSequence batches whole windows, where token by
// token each position attends over the cache (the same sums in another
// order); the teacher is the training Forward over the first window. The
// exact path gives the same bits every way but the teacher's and the
// twin's (the fast path, within NewExactState's documented 1e-4).
func conformance(t *testing.T, m *Model, hs [][]autoreg.Token, starts []int, exact bool) {
	o := modeltest.Options{
		Histories:   hs,
		ScoreStarts: starts,
		LogProbTol:  2e-6,
		AppendTol:   1e-5,
		ScoreTol:    1e-5,
		Teacher:     neuraltest.TeacherForced(m, nil, m.Losses),
		TeacherLen:  m.cfg.Context,
		TeacherTol:  1e-5,
		SaveLoad:    modeltest.PayloadRoundTrip(Read),
	}
	if exact {
		o.NewState, o.BitExact = modeltest.ExactState, true
		o.Twin, o.TwinTol = modeltest.FastState, 1e-4
	}
	modeltest.TestModel(t, m, o)
}

// The fast state with an odd and an even context, over histories long
// enough for ScoreSequence to batch more than one group of windows
// (winBatch), scored from the empty state, from inside the first window
// and from a full one.
func TestConformance(t *testing.T) {
	for _, T := range []int{12, 13} {
		cfg := tinyCfg
		cfg.Context = T
		n := T + winBatch*T + 7
		m, text := trained(t, cfg, 13, 4*T)
		t.Run(fmt.Sprintf("context%d", T), func(t *testing.T) {
			conformance(t, m, histories(m, text, n), []int{0, 1, 5, T}, false)
		})
	}
}

// A model wide enough that generating a token takes the parallel paths:
// it allocates nothing and gives the same bits for any GOMAXPROCS, through
// window shifts.
func TestGenerationWide(t *testing.T) {
	m := tinyModel(t, Config{Layers: 1, Dim: 256, Heads: 4, Context: 48}, 40)
	modeltest.TestModel(t, m, modeltest.Options{
		Histories: modeltest.Histories(m.vocab, 1, 2*m.cfg.Context+10)[:1],
		Only:      []modeltest.Check{modeltest.Allocs, modeltest.Procs},
	})
}

func TestPayloadRoundTrip(t *testing.T) {
	m, err := New(tinyCfg, autoreg.Vocab{Base: 9, Controls: []string{"a", "test"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
	if buf.Len()%4 != 0 {
		t.Fatal("payload not float aligned")
	}
	m2, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if m2.cfg != m.cfg || m2.vocab.Size() != m.vocab.Size() || m2.vocab.Controls[1] != "test" {
		t.Fatalf("config %+v vocab %+v", m2.cfg, m2.vocab)
	}
	for i := range m.arena.Params {
		if m.arena.Params[i] != m2.arena.Params[i] {
			t.Fatal("weights differ")
		}
	}
	for _, cut := range []int{0, 10, 40, buf.Len() - 1} {
		if _, err := Read(bytes.NewReader(buf.Bytes()[:cut]), int64(cut)); err == nil {
			t.Fatalf("truncated at %d accepted", cut)
		}
	}
}

func FuzzRead(f *testing.F) {
	m, _ := New(Config{Layers: 1, Dim: 4, Heads: 1, Context: 2}, autoreg.Vocab{Base: 3, Controls: []string{"x"}}, 1)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(format.Magic))
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

// Past the window, <s> and the control code of the current sequence take
// the window's first two slots, and an untagged sequence pins nothing: the
// window is the rule's, and a state given just that window predicts alike.
// (That a long Append and ScoreSequence follow the rule as token by token
// does is the conformance suite's to check, on such histories.)
func TestContextShiftControl(t *testing.T) {
	vocab := autoreg.Vocab{Base: 9, Controls: []string{"p", "q"}}
	m, err := New(tinyCfg, vocab, 7)
	if err != nil {
		t.Fatal(err)
	}
	T := m.cfg.Context
	code, _ := vocab.Control("q")
	rng := rand.New(rand.NewPCG(8, 8))
	text := func(n int) []autoreg.Token {
		x := make([]autoreg.Token, n)
		for i := range x {
			x[i] = autoreg.Token(rng.IntN(vocab.Base))
		}
		return x
	}
	tagged := append([]autoreg.Token{vocab.BOS(), code}, text(3*T+5)...)
	plain := append([]autoreg.Token{vocab.BOS()}, text(2*T+1)...)
	// A new sequence under another code whose <s> comes as the window
	// shifts (the shift pins nothing), or one token later (the shift pins
	// the old code, which stays until the next shift).
	other, _ := vocab.Control("p")
	shift := T + 2*(T-T/2) // token by token, the window shifts as this token comes
	next := func(at int) []autoreg.Token {
		return append(append([]autoreg.Token(nil), tagged[:at]...), vocab.BOS(), other, 1, 2, 3)
	}
	for _, tc := range []struct {
		name string
		seq  []autoreg.Token
		pin  bool
	}{
		{"tagged", tagged, true},
		{"untagged after tagged", append(append([]autoreg.Token(nil), tagged...), plain...), false},
		{"new sequence as the window shifts", next(shift), false},
		{"new sequence after the window shifted", next(shift + 1), true},
	} {
		seq := tc.seq
		n := len(seq)
		one := m.newState(false)
		for i, x := range seq {
			one.Append(x)
			if tc.pin && i >= T && (one.toks[0] != vocab.BOS() || one.toks[1] != code) {
				t.Fatalf("%s: after %d tokens the window starts with %v, not <s> and the code %d", tc.name, i+1, one.toks[:2], code)
			}
		}
		// The window is the rule's: <s>, the code, then the last tokens.
		window := append([]autoreg.Token(nil), seq[n-len(one.toks):]...)
		if tc.pin {
			window[0], window[1] = vocab.BOS(), code
		}
		if !slices.Equal(one.toks, window) {
			t.Fatalf("%s: window %v, want %v", tc.name, one.toks, window)
		}
		fresh := m.NewState()
		fresh.Append(window...)
		for _, x := range []autoreg.Token{0, 3, 8} {
			if d := math.Abs(fresh.LogProb(x) - one.LogProb(x)); d > 1e-5 {
				t.Errorf("%s: the window alone differs from token-by-token appends by %g", tc.name, d)
			}
		}
	}
}

// The exact state beside the fast one, over three windows (two shifts).
// Dim 64 with 2 heads takes the exact kernels' vector paths (lengths that
// are multiples of 32); Dim 18, 3 heads their tails.
func TestExactState(t *testing.T) {
	for _, cfg := range []Config{{Layers: 2, Dim: 64, Heads: 2, Context: 16}, {Layers: 1, Dim: 18, Heads: 3, Context: 8}} {
		m, text := trained(t, cfg, 13, 3*cfg.Context)
		t.Run(fmt.Sprintf("dim%d", cfg.Dim), func(t *testing.T) {
			conformance(t, m, histories(m, text, 3*cfg.Context+5), nil, true)
		})
	}
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
		{Config{Layers: 2, Dim: 64, Heads: 2, Context: 16}, "288bc04e0b32d09eb20585332eface6ff0c6e5048c6f843b566c6dd9f0bc2e51"},
		{Config{Layers: 1, Dim: 18, Heads: 3, Context: 8}, "f747a74cf217d0aad972b1f64b3c01c86bcef6cc815140dd497f9a26eefd5c9a"},
	} {
		m := tinyModel(t, c.cfg, 13)
		neuraltest.DyadicParams(m.arena, 1)
		m.ParamsChanged()
		t.Run(fmt.Sprintf("dim%d", c.cfg.Dim), func(t *testing.T) {
			modeltest.TestModel(t, m, modeltest.Options{
				NewState: modeltest.ExactState,
				BitExact: true,
				Golden:   c.golden,
				Only:     []modeltest.Check{modeltest.BitExact},
			})
		})
	}
}
