package seq2seq

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

var tinyCfg = Config{EncLayers: 2, DecLayers: 2, Dim: 16, Heads: 2, FFN: 24, SrcContext: 9, Context: 12}

func tinyModel(t testing.TB, cfg Config, base, srcBase int) *Model {
	t.Helper()
	v, src := autoreg.Vocab{Base: base}, autoreg.Vocab{Base: srcBase}
	if cfg.Shared {
		src = v
	}
	m, err := New(cfg, v, src, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// perturb adds noise to every parameter (larger than the init's, so every
// path carries signal).
func perturb(m *Model, rng *rand.Rand, sd float64) {
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(sd * rng.NormFloat64())
	}
	m.ParamsChanged()
}

// pairBatch is a random padded batch of B pairs: sources of random
// lengths (their </s> included) padded to S, targets padded to T.
type pairBatch struct {
	src, srcLen, x, y []int32
	B, S, T           int
}

func randBatch(rng *rand.Rand, m *Model, B, S, T int) pairBatch {
	p := pairBatch{B: B, S: S, T: T, src: make([]int32, B*S), srcLen: make([]int32, B),
		x: make([]int32, B*T), y: make([]int32, B*T)}
	for b := range B {
		L := 1 + rng.IntN(S)
		if b == 0 {
			L = S
		}
		p.srcLen[b] = int32(L)
		for i := range S {
			p.src[b*S+i] = int32(m.srcVocab.EOS())
			if i < L-1 {
				p.src[b*S+i] = int32(rng.IntN(m.srcVocab.Base))
			}
		}
		n := 1 + rng.IntN(T)
		if b == 0 {
			n = T
		}
		// x = <s> y₁ … y_(n−1), y = y₁ … y_(n−1) </s>, then padding.
		for i := range T {
			p.x[b*T+i], p.y[b*T+i] = int32(m.vocab.EOS()), Ignore
		}
		p.x[b*T] = int32(m.vocab.BOS())
		for i := range n - 1 {
			y := int32(rng.IntN(m.vocab.Base))
			p.y[b*T+i], p.x[b*T+i+1] = y, y
		}
		p.y[b*T+n-1] = int32(m.vocab.EOS())
	}
	return p
}

func (p pairBatch) forward(m *Model, rng *rand.Rand) (float64, int) {
	return m.ForwardPairs(p.src, p.srcLen, p.S, p.x, p.y, p.B, p.T, rng)
}

func TestInitLoss(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 2, DecLayers: 2, Dim: 32, Heads: 4, FFN: 64, SrcContext: 16, Context: 16}, 61, 30)
	rng := rand.New(rand.NewPCG(1, 1))
	p := randBatch(rng, m, 4, 16, 16)
	sum, n := p.forward(m, nil)
	if lnV := math.Log(float64(m.V)); math.Abs(sum/float64(n)-lnV) > 0.05 {
		t.Fatalf("initial loss %.4f, want ≈ ln V = %.4f", sum/float64(n), lnV)
	}
}

// The whole model's gradient against central differences of the mean
// loss, on a sample of parameters of every view, separate and shared
// vocabularies, with padding on both sides.
func TestModelGrad(t *testing.T) {
	for _, shared := range []bool{false, true} {
		cfg := tinyCfg
		cfg.Shared = shared
		m := tinyModel(t, cfg, 9, 7)
		rng := rand.New(rand.NewPCG(2, 2))
		perturb(m, rng, 0.1)
		p := randBatch(rng, m, 3, 5, 6)
		loss := func() float64 {
			s, n := p.forward(m, nil)
			return s / float64(n)
		}
		a := m.arena
		a.ZeroGrad()
		_, n := p.forward(m, nil)
		m.Backward(1 / float32(n))
		label := "separate "
		if shared {
			label = "shared "
		}
		neuraltest.CheckArenaGrads(t, a, loss, rng, 5, label)
	}
}

// TestGradDropout: with dropout, the gradient is that of the loss under
// the dropout masks drawn (the same generator state for every evaluation).
func TestGradDropout(t *testing.T) {
	cfg := tinyCfg
	cfg.Dropout = 0.2
	m := tinyModel(t, cfg, 9, 7)
	rng := rand.New(rand.NewPCG(12, 12))
	perturb(m, rng, 0.1)
	p := randBatch(rng, m, 2, 4, 5)
	loss := func() float64 {
		s, n := p.forward(m, rand.New(rand.NewPCG(5, 6)))
		return s / float64(n)
	}
	a := m.arena
	a.ZeroGrad()
	_, n := p.forward(m, rand.New(rand.NewPCG(5, 6)))
	m.Backward(1 / float32(n))
	neuraltest.CheckArenaGrads(t, a, loss, rng, 4, "dropout ")
}

func TestOverfitOneBatch(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 1, DecLayers: 2, Dim: 32, Heads: 2, FFN: 64, SrcContext: 8, Context: 10}, 20, 12)
	rng := rand.New(rand.NewPCG(3, 3))
	p := randBatch(rng, m, 4, 8, 10)
	a := m.arena
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	var loss float64
	for step := 1; step <= 200; step++ {
		a.ZeroGrad()
		s, n := p.forward(m, nil)
		loss = s / float64(n)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 3e-3)
	}
	if loss > 0.05 {
		t.Fatalf("loss after 200 steps on one batch: %.4f, want < 0.05", loss)
	}
}

// TestOverfitNeedsSource: the targets are the sources reversed, so only a
// model that reads its source through cross-attention can learn them.
func TestOverfitNeedsSource(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 1, DecLayers: 1, Dim: 32, Heads: 2, FFN: 64, SrcContext: 6, Context: 7, Shared: true}, 8, 8)
	rng := rand.New(rand.NewPCG(8, 8))
	B, S, T := 16, 6, 7
	p := pairBatch{B: B, S: S, T: T, src: make([]int32, B*S), srcLen: make([]int32, B), x: make([]int32, B*T), y: make([]int32, B*T)}
	eos, bos := int32(m.vocab.EOS()), int32(m.vocab.BOS())
	for b := range B {
		w := neuraltest.RandTokens(rng, S-1, 8)
		copy(p.src[b*S:], w)
		p.src[b*S+S-1] = eos
		p.srcLen[b] = int32(S)
		p.x[b*T] = bos
		for i := range S - 1 {
			p.y[b*T+i] = w[S-2-i]
			p.x[b*T+i+1] = w[S-2-i]
		}
		p.y[b*T+T-2], p.y[b*T+T-1] = eos, Ignore
	}
	a := m.arena
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	var loss float64
	for step := 1; step <= 300; step++ {
		a.ZeroGrad()
		s, n := p.forward(m, nil)
		loss = s / float64(n)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 5e-3)
	}
	// Without the source the best loss is ln 8 ≈ 2.08 nats per letter.
	if loss > 0.1 {
		t.Fatalf("loss after 300 steps: %.4f, want < 0.1 (the source is not read)", loss)
	}
	// Greedy decoding through the seam reproduces the first pair.
	src := make([]autoreg.Token, S-1)
	for i := range src {
		src[i] = autoreg.Token(p.src[i])
	}
	cm, err := m.Condition(src)
	if err != nil {
		t.Fatal(err)
	}
	st := cm.NewState()
	st.Append(m.vocab.BOS())
	lp := make([]float32, m.V)
	for i := range S - 1 {
		st.LogProbs(lp)
		best := 0
		for k := range lp {
			if lp[k] > lp[best] {
				best = k
			}
		}
		if int32(best) != p.y[i] {
			t.Fatalf("greedy token %d: %d, want %d", i, best, p.y[i])
		}
		st.Append(autoreg.Token(best))
	}
}

// TestPaddingInvariance: a pair's per-position losses are the same alone
// and padded in a batch with longer pairs.
func TestPaddingInvariance(t *testing.T) {
	m := tinyModel(t, tinyCfg, 9, 7)
	rng := rand.New(rand.NewPCG(4, 4))
	perturb(m, rng, 0.1)
	p := randBatch(rng, m, 3, 7, 9)
	p.forward(m, nil)
	batched := append([]float32(nil), m.Losses()...)
	for b := 1; b < p.B; b++ {
		S, T := int(p.srcLen[b]), 0
		for T < p.T && p.y[b*p.T+T] != Ignore {
			T++
		}
		one := pairBatch{B: 1, S: S, T: T, src: p.src[b*p.S : b*p.S+S], srcLen: []int32{int32(S)},
			x: p.x[b*p.T : b*p.T+T], y: p.y[b*p.T : b*p.T+T]}
		one.forward(m, nil)
		for i, l := range m.Losses() {
			if d := math.Abs(float64(l - batched[b*p.T+i])); d > 1e-5*math.Max(1, float64(l)) {
				t.Fatalf("pair %d position %d: alone %v, batched %v", b, i, l, batched[b*p.T+i])
			}
		}
	}
}

func TestDeterministicAcrossProcs(t *testing.T) {
	cfg := Config{EncLayers: 2, DecLayers: 2, Dim: 64, Heads: 4, FFN: 128, SrcContext: 24, Context: 32, Dropout: 0.1}
	m := tinyModel(t, cfg, 30, 20)
	rng := rand.New(rand.NewPCG(4, 4))
	p := randBatch(rng, m, 6, 24, 32)
	run := func(procs int) ([]float32, float64) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		m.arena.ZeroGrad()
		s, n := p.forward(m, rand.New(rand.NewPCG(9, 9)))
		m.Backward(1 / float32(n))
		return append([]float32(nil), m.arena.Grads...), s
	}
	g1, s1 := run(1)
	for _, procs := range []int{2, 3} {
		g2, s2 := run(procs)
		if s1 != s2 {
			t.Fatalf("GOMAXPROCS=%d: loss differs: %v vs %v", procs, s1, s2)
		}
		for i := range g1 {
			if g1[i] != g2[i] {
				t.Fatalf("GOMAXPROCS=%d: gradient %d differs: %v vs %v", procs, i, g1[i], g2[i])
			}
		}
	}
}

// TestIncrementalMatchesTeacherForcing: the seam's per-token
// log-probabilities given a source equal the teacher-forced losses of
// ForwardPairs (relative 1e-4), token by token and through ScoreSequence.
func TestIncrementalMatchesTeacherForcing(t *testing.T) {
	m := tinyModel(t, tinyCfg, 13, 11)
	rng := rand.New(rand.NewPCG(5, 5))
	perturb(m, rng, 0.05)
	p := randBatch(rng, m, 3, 8, m.cfg.Context)
	p.forward(m, nil)
	batched := append([]float32(nil), m.Losses()...)
	for b := range p.B {
		src := make([]autoreg.Token, p.srcLen[b]-1)
		for i := range src {
			src[i] = autoreg.Token(p.src[b*p.S+i])
		}
		cm, err := m.Condition(src)
		if err != nil {
			t.Fatal(err)
		}
		st := cm.NewState()
		var xs []autoreg.Token
		for i := range p.T {
			y := p.y[b*p.T+i]
			if y == Ignore {
				break
			}
			st.Append(autoreg.Token(p.x[b*p.T+i]))
			got, want := -st.LogProb(autoreg.Token(y)), float64(batched[b*p.T+i])
			if math.Abs(got-want) > 1e-4*math.Max(1, want) {
				t.Fatalf("pair %d position %d: incremental %.7g, teacher-forced %.7g", b, i, got, want)
			}
			xs = append(xs, autoreg.Token(y))
		}
		sc := cm.NewState()
		sc.Append(m.vocab.BOS())
		dst := make([]float64, len(xs))
		cm.(autoreg.Scorer).ScoreSequence(sc, xs, dst)
		for i := range dst {
			if want := float64(batched[b*p.T+i]); math.Abs(-dst[i]-want) > 1e-4*math.Max(1, want) {
				t.Fatalf("pair %d ScoreSequence %d: %v, teacher-forced %v", b, i, -dst[i], want)
			}
		}
	}
}

// TestBatchInvariance: Step gives every state, whatever its source,
// position and place in the batch, the bits Append gives it alone, and
// ConditionBatch the bits of Condition.
func TestBatchInvariance(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 2, DecLayers: 2, Dim: 64, Heads: 4, FFN: 96, SrcContext: 12, Context: 10}, 23, 17)
	rng := rand.New(rand.NewPCG(6, 6))
	perturb(m, rng, 0.05)
	const n = 37 // several row tiles of every micro-kernel, ragged
	srcs := make([][]autoreg.Token, n)
	for i := range srcs {
		srcs[i] = randSeq(rng, rng.IntN(12), 17)
	}
	batch, err := m.conditionBatch(srcs)
	if err != nil {
		t.Fatal(err)
	}
	alone := make([]autoreg.State, n)
	together := make([]autoreg.State, n)
	for i, s := range srcs {
		cm, err := m.Condition(s)
		if err != nil {
			t.Fatal(err)
		}
		c := cm.(*Source)
		for l := range c.kv {
			if !sameBits(c.kv[l], batch[i].kv[l]) {
				t.Fatalf("source %d layer %d: ConditionBatch differs from Condition", i, l)
			}
		}
		alone[i], together[i] = c.NewState(), batch[i].NewState()
		// Different history lengths (a window shift for some).
		pre := randSeq(rng, rng.IntN(14), 23)
		alone[i].Append(pre...)
		together[i].Append(pre...)
	}
	lpa, lpb := make([]float32, m.V), make([]float32, m.V)
	for step := range 6 {
		xs := randSeq(rng, n, 23)
		// A batch of a random subset in random order.
		perm := rng.Perm(n)[:n-step]
		sub, subx := make([]autoreg.State, len(perm)), make([]autoreg.Token, len(perm))
		for j, i := range perm {
			sub[j], subx[j] = together[i], xs[i]
			alone[i].Append(xs[i])
		}
		m.Step(sub, subx)
		for _, i := range perm {
			alone[i].LogProbs(lpa)
			together[i].LogProbs(lpb)
			if !sameBits(lpa, lpb) {
				t.Fatalf("step %d state %d: batched log-probabilities differ from alone", step, i)
			}
		}
	}
}

func randSeq(rng *rand.Rand, n, V int) []autoreg.Token {
	s := make([]autoreg.Token, n)
	for i := range s {
		s[i] = autoreg.Token(rng.IntN(V))
	}
	return s
}

func sameBits(a, b []float32) bool {
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

// TestContextShift: past the window, a long Append equals token-by-token
// appends, and so does ScoreSequence.
func TestContextShift(t *testing.T) {
	m := tinyModel(t, tinyCfg, 11, 9)
	rng := rand.New(rand.NewPCG(7, 7))
	perturb(m, rng, 0.05)
	cm, err := m.Condition(randSeq(rng, 5, 9))
	if err != nil {
		t.Fatal(err)
	}
	n := 4*m.cfg.Context + 3
	seq := randSeq(rng, n, m.V)
	one := cm.NewState()
	inc := make([]float64, n-1)
	one.Append(seq[0])
	for i := 1; i < n; i++ {
		inc[i-1] = one.LogProb(seq[i])
		one.Append(seq[i])
	}
	for _, split := range []int{1, 7, 2 * m.cfg.Context, n - 1} {
		long := cm.NewState()
		long.Append(seq[:split]...)
		long.Append(seq[split:]...)
		if d := math.Abs(long.LogProb(3) - one.LogProb(3)); d > 1e-5 {
			t.Fatalf("split %d: long append differs by %g", split, d)
		}
	}
	sc := cm.NewState()
	sc.Append(seq[0])
	dst := make([]float64, n-1)
	m.ScoreSequence(sc, seq[1:], dst)
	for i := range dst {
		if math.Abs(dst[i]-inc[i]) > 1e-4*math.Abs(inc[i]) {
			t.Fatalf("ScoreSequence %d: %v, incremental %v", i, dst[i], inc[i])
		}
	}
}

func TestConditionErrors(t *testing.T) {
	m := tinyModel(t, tinyCfg, 11, 9)
	if _, err := m.Condition(make([]autoreg.Token, m.MaxSourceLen()+1)); err == nil {
		t.Fatal("an over-long source was accepted")
	}
	if _, err := m.Condition([]autoreg.Token{autoreg.Token(m.Vs)}); err == nil {
		t.Fatal("a source id outside the vocabulary was accepted")
	}
	if _, err := m.Condition(nil); err != nil {
		t.Fatalf("the empty source: %v", err)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, shared := range []bool{false, true} {
		cfg := tinyCfg
		cfg.Shared, cfg.Dropout = shared, 0.25
		v := autoreg.Vocab{Base: 9, Controls: []string{"a", "test"}}
		src := autoreg.Vocab{Base: 5}
		if shared {
			src = v
		}
		m, err := New(cfg, v, src, 3)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := m.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo: %d, %v", n, err)
		}
		m2, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if m2.cfg != m.cfg || !sameVocab(m2.vocab, v) || !sameVocab(m2.srcVocab, src) {
			t.Fatalf("config %+v vocab %+v source %+v", m2.cfg, m2.vocab, m2.srcVocab)
		}
		if !sameBits(m.arena.Params, m2.arena.Params) {
			t.Fatal("weights differ")
		}
		for _, cut := range []int{0, 10, 40, buf.Len() - 1} {
			if _, err := Read(bytes.NewReader(buf.Bytes()[:cut]), int64(cut)); err == nil {
				t.Fatalf("truncated at %d accepted", cut)
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	m, _ := New(Config{EncLayers: 1, DecLayers: 1, Dim: 4, Heads: 1, FFN: 4, SrcContext: 3, Context: 2},
		autoreg.Vocab{Base: 3, Controls: []string{"x"}}, autoreg.Vocab{Base: 2}, 1)
	var buf bytes.Buffer
	m.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(format.Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		cm, err := m.Condition([]autoreg.Token{0})
		if err != nil {
			t.Fatal(err)
		}
		st := cm.NewState()
		st.Append(0)
		_ = st.LogProb(0)
	})
}
