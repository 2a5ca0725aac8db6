package gpt

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
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

// Conformance: incremental per-token log-probs equal the batched
// teacher-forced loss within the window (relative 1e-4), ScoreSequence
// agrees, distributions sum to one, copies are independent.
func TestConformance(t *testing.T) {
	m := tinyModel(t, tinyCfg, 13)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(0.05 * rng.NormFloat64())
	}
	T := m.cfg.Context
	seq := neuraltest.RandTokens(rng, T+1, m.V)
	_, _ = m.Forward(seq[:T], seq[1:], 1, T, nil)
	batched := append([]float32(nil), m.Losses()...)

	st := m.NewState()
	st.Append(autoreg.Token(seq[0]))
	lp := make([]float32, m.V)
	for i := 1; i <= T; i++ {
		got := -st.LogProb(autoreg.Token(seq[i]))
		want := float64(batched[i-1])
		if math.Abs(got-want) > 1e-4*math.Abs(want) {
			t.Fatalf("position %d: incremental %.7g, batched %.7g", i, got, want)
		}
		st.LogProbs(lp)
		var s float64
		for _, v := range lp {
			s += math.Exp(float64(v))
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("position %d: probabilities sum to %v", i, s)
		}
		if float64(lp[seq[i]]) != st.LogProb(autoreg.Token(seq[i])) {
			// LogProb and LogProbs may differ only by float32 rounding.
			if math.Abs(float64(lp[seq[i]])+got) > 1e-5 {
				t.Fatalf("LogProbs and LogProb disagree at %d", i)
			}
		}
		st.Append(autoreg.Token(seq[i]))
	}
	if st.Len() != T+1 {
		t.Fatalf("Len %d", st.Len())
	}

	// ScoreSequence from BOS-like start: same numbers.
	sc := m.NewState()
	sc.Append(autoreg.Token(seq[0]))
	xs := make([]autoreg.Token, T)
	for i := range xs {
		xs[i] = autoreg.Token(seq[i+1])
	}
	dst := make([]float64, T)
	m.ScoreSequence(sc, xs, dst)
	for i := range dst {
		if want := float64(batched[i]); math.Abs(-dst[i]-want) > 1e-4*want {
			t.Fatalf("ScoreSequence %d: %v, batched %v", i, -dst[i], want)
		}
	}

	// CopyTo gives an independent state.
	a := m.NewState()
	a.Append(1, 2, 3)
	b := m.NewState()
	a.CopyTo(b)
	before := b.LogProb(4)
	a.Append(5, 6)
	if b.LogProb(4) != before || b.Len() != 3 {
		t.Fatal("copy changed with its source")
	}
	b.Append(5, 6)
	if math.Abs(a.LogProb(7)-b.LogProb(7)) > 1e-6 {
		t.Fatalf("copy diverged: %v vs %v", a.LogProb(7), b.LogProb(7))
	}
	a.Reset()
	e := m.NewState()
	if a.Len() != 0 || a.LogProb(3) != e.LogProb(3) {
		t.Fatal("Reset")
	}
}

// Past the window, a long Append equals token-by-token appends (both drop
// the oldest half when the window is full), and so does ScoreSequence.
func TestContextShift(t *testing.T) {
	m := tinyModel(t, tinyCfg, 11)
	rng := rand.New(rand.NewPCG(6, 6))
	n := 5*m.cfg.Context + 3
	seq := make([]autoreg.Token, n)
	for i := range seq {
		seq[i] = autoreg.Token(rng.IntN(m.V))
	}
	one := m.NewState()
	inc := make([]float64, n-1)
	one.Append(seq[0])
	for i := 1; i < n; i++ {
		inc[i-1] = one.LogProb(seq[i])
		one.Append(seq[i])
	}
	for _, split := range []int{1, 7, 2 * m.cfg.Context, n - 1} {
		long := m.NewState()
		long.Append(seq[:split]...)
		long.Append(seq[split:]...)
		if d := math.Abs(long.LogProb(3) - one.LogProb(3)); d > 1e-5 {
			t.Fatalf("split %d: long append differs by %g", split, d)
		}
	}
	sc := m.NewState()
	sc.Append(seq[0])
	dst := make([]float64, n-1)
	m.ScoreSequence(sc, seq[1:], dst)
	for i := range dst {
		if math.Abs(dst[i]-inc[i]) > 1e-4*math.Abs(inc[i]) {
			t.Fatalf("ScoreSequence %d: %v, incremental %v", i, dst[i], inc[i])
		}
	}
}

func TestGenerationAllocs(t *testing.T) {
	// Wide enough that the window re-encoding takes the parallel paths.
	m := tinyModel(t, Config{Layers: 1, Dim: 256, Heads: 4, Context: 96}, 40)
	st := m.newState()
	lp := make([]float32, m.V)
	// Warm up through a context shift so every buffer has its size.
	for i := range 3 * m.cfg.Context {
		st.Append(autoreg.Token(i % m.V))
		st.LogProbs(lp)
	}
	tok := autoreg.Token(0)
	allocs := testing.AllocsPerRun(200, func() {
		st.Append(tok)
		st.LogProbs(lp)
		_ = st.LogProb(tok)
		tok = (tok + 1) % autoreg.Token(m.V)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per generated token", allocs)
	}
	// Through the seam (an interface call) as well.
	var s autoreg.State = st
	allocs = testing.AllocsPerRun(200, func() {
		s.Append(tok)
		s.LogProbs(lp)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per generated token through autoreg.State", allocs)
	}
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

// TestScoreSequenceLong: over many windows (batched several at a time,
// more than one batch, odd and even contexts, starting from states at
// several positions) ScoreSequence agrees with appending token by token,
// and leaves the same state behind.
func TestScoreSequenceLong(t *testing.T) {
	for _, T := range []int{12, 13} {
		cfg := tinyCfg
		cfg.Context = T
		m := tinyModel(t, cfg, 13)
		rng := rand.New(rand.NewPCG(9, uint64(T)))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.05 * rng.NormFloat64())
		}
		for _, pre := range []int{1, 5, T} {
			seq := neuraltest.RandTokens(rng, pre+winBatch*T*2+7, m.V)
			inc, bat := m.NewState(), m.NewState()
			for _, x := range seq[:pre] {
				inc.Append(autoreg.Token(x))
				bat.Append(autoreg.Token(x))
			}
			xs := make([]autoreg.Token, len(seq)-pre)
			for i := range xs {
				xs[i] = autoreg.Token(seq[pre+i])
			}
			dst := make([]float64, len(xs))
			m.ScoreSequence(bat, xs, dst)
			for i, x := range xs {
				want := inc.LogProb(x)
				inc.Append(x)
				if math.Abs(dst[i]-want) > 1e-4*math.Abs(want)+1e-6 {
					t.Fatalf("T=%d pre=%d: token %d: ScoreSequence %.7g, incremental %.7g", T, pre, i, dst[i], want)
				}
			}
			if inc.Len() != bat.Len() {
				t.Fatalf("T=%d pre=%d: Len %d, want %d", T, pre, bat.Len(), inc.Len())
			}
			for _, x := range []autoreg.Token{3, 1, 4, 1, 5} { // the states continue alike
				if a, b := inc.LogProb(x), bat.LogProb(x); math.Abs(a-b) > 1e-4*math.Abs(a)+1e-6 {
					t.Fatalf("T=%d pre=%d: after scoring, %.7g vs incremental %.7g", T, pre, b, a)
				}
				inc.Append(x)
				bat.Append(x)
			}
		}
	}
}

// Past the window, <s> and the control code of the current sequence take
// the window's first two slots (token by token, in one long Append and in
// ScoreSequence alike), and an untagged sequence pins nothing.
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
		one := m.newState()
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
		long := m.NewState()
		long.Append(seq[:5]...)
		long.Append(seq[5:]...)
		sc := m.newState()
		sc.Append(seq[0])
		dst := make([]float64, n-1)
		m.ScoreSequence(sc, seq[1:], dst)
		for _, x := range []autoreg.Token{0, 3, 8} {
			want := one.LogProb(x)
			for name, st := range map[string]autoreg.State{"fresh window": fresh, "long append": long, "ScoreSequence": sc} {
				if d := math.Abs(st.LogProb(x) - want); d > 1e-5 {
					t.Errorf("%s: %s differs from token-by-token appends by %g", tc.name, name, d)
				}
			}
		}
	}
}

// The exact state against the fast one, over three windows (two shifts).
// Dim 64 with 2 heads takes the exact kernels' vector paths (lengths that
// are multiples of 32); Dim 16, 3 heads their tails.
func TestExactState(t *testing.T) {
	for _, cfg := range []Config{{Layers: 2, Dim: 64, Heads: 2, Context: 16}, {Layers: 1, Dim: 18, Heads: 3, Context: 8}} {
		m := tinyModel(t, cfg, 13)
		rng := rand.New(rand.NewPCG(8, 8))
		for i := range m.arena.Params {
			m.arena.Params[i] += float32(0.1 * rng.NormFloat64())
		}
		seq := make([]autoreg.Token, 3*cfg.Context+5)
		for i := range seq {
			seq[i] = autoreg.Token(rng.IntN(m.V))
		}
		seq[0] = m.vocab.BOS()
		neuraltest.CheckExactState(t, m, seq)
	}
}
