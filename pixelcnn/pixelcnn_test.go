package pixelcnn

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
	"github.com/autoreg/autoreg/tokenize"
)

// Small models: a class-conditional gray one and an RGB one (channel
// masks) without classes, both with spatial maps, and a plain one.
var (
	grayCfg = Config{Layers: 3, Channels: 8, Kernel: 3, FirstKernel: 5, Hidden: 6, Image: tokenize.Shape{Height: 5, Width: 4, Channels: 1}, Maps: 2}
	rgbCfg  = Config{Layers: 2, Channels: 6, Kernel: 3, FirstKernel: 3, Hidden: 9, Image: tokenize.Shape{Height: 4, Width: 3, Channels: 3}, Maps: 3}
	// plainCfg has no spatial maps (payload version 1).
	plainCfg = Config{Layers: 2, Channels: 4, Kernel: 3, FirstKernel: 5, Hidden: 4, Image: tokenize.Shape{Height: 3, Width: 3, Channels: 1}}
)

func newModel(t testing.TB, cfg Config, levels int, classes []string) *Model {
	t.Helper()
	return noisyModel(t, cfg, levels, classes, 0.1)
}

// noisyModel is New's model with N(0, noise²) added to every weight
// (biases and class rows too), the masks kept.
func noisyModel(t testing.TB, cfg Config, levels int, classes []string, noise float64) *Model {
	t.Helper()
	m, err := New(cfg, autoreg.Vocab{Base: levels, Controls: classes}, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range m.arena.Params {
		m.arena.Params[i] += float32(noise * rng.NormFloat64())
	}
	m.applyMasks(m.arena.Params)
	return m
}

func models(t testing.TB) []*Model {
	return []*Model{newModel(t, grayCfg, 4, []string{"a", "b", "c"}), newModel(t, rgbCfg, 5, nil),
		newModel(t, plainCfg, 3, []string{"x", "y"})}
}

// images returns B random images as token rows x, y for Forward.
func images(m *Model, rng *rand.Rand, B int) (x, y []int32) {
	T := m.SeqLen() - 1
	v := m.vocab
	for range B {
		seq := []int32{int32(v.BOS())}
		if m.classes > 0 {
			seq = append(seq, int32(v.Base+autoreg.NumReserved+rng.IntN(m.classes)))
		}
		for range m.N {
			seq = append(seq, int32(rng.IntN(m.K)))
		}
		x = append(x, seq[:T]...)
		yy := append([]int32(nil), seq[1:]...)
		if m.classes > 0 {
			yy[0] = Ignore
		}
		y = append(y, yy...)
	}
	return x, y
}

func TestParamCount(t *testing.T) {
	for _, m := range models(t) {
		if got := paramCount(m.cfg, m.vocab); got != int64(m.arena.Len()) {
			t.Fatalf("paramCount %d, arena %d", got, m.arena.Len())
		}
	}
}

func TestInitLoss(t *testing.T) {
	m, err := New(grayCfg, autoreg.Vocab{Base: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, y := images(m, rand.New(rand.NewPCG(1, 1)), 4)
	sum, n := m.Forward(x, y, 4, m.SeqLen()-1, nil)
	if loss, lnK := sum/float64(n), math.Log(16); math.Abs(loss-lnK) > 0.1 || n != 4*m.N {
		t.Fatalf("initial loss %.4f over %d targets, want ≈ ln K = %.4f over %d", loss, n, lnK, 4*m.N)
	}
}

func TestModelGrad(t *testing.T) {
	// Larger weights than training starts from: gradients well above the
	// float32 noise of the finite differences in every view.
	for _, m := range []*Model{noisyModel(t, grayCfg, 4, []string{"a", "b", "c"}, 0.4), noisyModel(t, rgbCfg, 5, nil, 0.4)} {
		rng := rand.New(rand.NewPCG(2, 3))
		B, T := 1, m.SeqLen()-1
		x, y := images(m, rng, B)
		a := m.arena
		// The masked weights are zero, but the loss depends on them:
		// check the gradient before Backward zeroes theirs.
		masks := m.masks
		m.masks = nil
		a.ZeroGrad()
		m.Forward(x, y, B, T, nil)
		m.Backward(1)
		loss := func() float64 { s, _ := m.Forward(x, y, B, T, nil); return s }
		neuraltest.CheckArenaGrads(t, a, loss, rng, 5, m.cfg.Image.String()+" ")
		m.masks = masks
		a.ZeroGrad()
		m.Forward(x, y, B, T, nil)
		m.Backward(1)
		for _, mk := range m.masks {
			for _, i := range mk.zero {
				if mk.view.Grad(a)[i] != 0 {
					t.Fatalf("masked weight %s[%d] has a gradient", mk.view.Name, i)
				}
			}
		}
	}
}

// logitsOf returns the logits of every sample of image 0 of a batch.
func logitsOf(m *Model, x, y []int32) []float32 {
	m.Forward(x, y, 1, m.SeqLen()-1, nil)
	return append([]float32(nil), m.tr.logits[:m.N*m.K]...)
}

// TestCausal: changing sample i changes no prediction of a sample ≤ i
// (exactly: those rows of every product are the same), and does change
// predictions after it within reach, the pixels up and to the right
// included (no blind spot).
func TestCausal(t *testing.T) {
	for _, m := range models(t) {
		rng := rand.New(rand.NewPCG(4, 5))
		x, y := images(m, rng, 1)
		off := m.SeqLen() - m.N
		base := logitsOf(m, x, y)
		W, Ci, K := m.cfg.Image.Width, m.cfg.Image.Channels, m.K
		for i := range m.N - 1 {
			x2 := append([]int32(nil), x...)
			x2[off+i] = (x2[off+i] + 1) % int32(K)
			got := logitsOf(m, x2, y)
			for j := range m.N {
				same := true
				for k := range K {
					if got[j*K+k] != base[j*K+k] {
						same = false
					}
				}
				if j <= i && !same {
					t.Fatalf("%s: sample %d changed the prediction of sample %d", m.cfg.Image, i, j)
				}
				// The sample right after, and the pixel below-left's
				// first channel (up-right of it is i: the blind spot
				// of the original PixelCNN).
				pi := i / Ci
				if (j == i+1 || (pi%W > 0 && pi/W+1 < m.cfg.Image.Height && j == (pi+W-1)*Ci)) && same {
					t.Fatalf("%s: sample %d does not reach sample %d", m.cfg.Image, i, j)
				}
			}
		}
	}
}

// TestIncremental: a State's log-probabilities equal the batched
// Forward's, sample by sample and through ScoreSequence, also when
// scoring stops halfway through an image and appending goes on.
func TestIncremental(t *testing.T) {
	for _, m := range models(t) {
		rng := rand.New(rand.NewPCG(6, 7))
		x, y := images(m, rng, 1)
		T := m.SeqLen() - 1
		m.Forward(x, y, 1, T, nil)
		losses := append([]float32(nil), m.Losses()...)
		off := m.SeqLen() - m.N
		seq := append(neuraltest.AsTokens(x), autoreg.Token(y[T-1]))
		check := func(what string, i int, got float64) {
			t.Helper()
			if want := float64(losses[off-1+i]); math.Abs(-got-want) > 1e-4*max(1, want) {
				t.Fatalf("%s %s sample %d: %.7g, batched %.7g", m.cfg.Image, what, i, -got, want)
			}
		}
		st := m.NewState()
		st.Append(seq[:off]...)
		lp := make([]float32, m.vocab.Size())
		for i := range m.N {
			check("LogProb", i, st.LogProb(seq[off+i]))
			st.LogProbs(lp)
			var sum float64
			for _, v := range lp {
				sum += math.Exp(float64(v))
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("probabilities sum to %v", sum)
			}
			st.Append(seq[off+i])
		}
		for _, cut := range []int{m.N, m.N / 2, 1} {
			sc := m.NewState()
			sc.Append(seq[:off]...)
			dst := make([]float64, cut)
			m.ScoreSequence(sc, seq[off:off+cut], dst)
			for i, v := range dst {
				check("ScoreSequence", i, v)
			}
			for i := cut; i < m.N; i++ {
				check("after ScoreSequence", i, sc.LogProb(seq[off+i]))
				sc.Append(seq[off+i])
			}
		}
		// CopyTo is independent; Reset is the empty history.
		a, b := m.NewState(), m.NewState()
		a.Append(seq[:off+3]...)
		a.CopyTo(b)
		want := a.LogProb(1)
		a.Append(2, 0)
		if b.LogProb(1) != want || b.Len() != off+3 {
			t.Fatal("a copy changed with its source")
		}
		b.Reset()
		if b.Len() != 0 || b.LogProb(0) != m.NewState().LogProb(0) {
			t.Fatal("Reset is not the empty history")
		}
	}
}

// TestClassPosition: after <s>, a class-conditional model spreads the
// probability over its classes only.
func TestClassPosition(t *testing.T) {
	m := models(t)[0]
	st := m.NewState()
	st.Append(m.vocab.BOS())
	lp := make([]float32, m.vocab.Size())
	st.LogProbs(lp)
	for i, v := range lp {
		want := math.Inf(-1)
		if i >= m.vocab.Base+autoreg.NumReserved {
			want = -math.Log(3)
		}
		if math.Abs(float64(v)-want) > 1e-6 && !(math.IsInf(want, -1) && math.IsInf(float64(v), -1)) {
			t.Fatalf("token %d: %v, want %v", i, v, want)
		}
	}
}

func TestGenerationAllocs(t *testing.T) {
	m := models(t)[0]
	st := m.NewState()
	st.Append(m.vocab.BOS(), autoreg.Token(m.vocab.Base+autoreg.NumReserved))
	lp := make([]float32, m.vocab.Size())
	st.Append(1)
	st.LogProbs(lp)
	if n := testing.AllocsPerRun(50, func() { st.Append(1); st.LogProbs(lp) }); n != 0 {
		t.Fatalf("%v allocations per generated sample", n)
	}
}

func TestOverfitOneBatch(t *testing.T) {
	m := newModel(t, grayCfg, 4, []string{"a", "b", "c"})
	rng := rand.New(rand.NewPCG(8, 9))
	B, T := 2, m.SeqLen()-1
	x, y := images(m, rng, B)
	a := m.arena
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	var first, last float64
	for step := 1; step <= 150; step++ {
		a.ZeroGrad()
		sum, n := m.Forward(x, y, B, T, nil)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
		if step == 1 {
			first = sum / float64(n)
		}
		last = sum / float64(n)
	}
	if last > 0.2*first {
		t.Fatalf("loss %.3f → %.3f: does not overfit one batch", first, last)
	}
	for _, mk := range m.masks {
		for _, i := range mk.zero {
			if mk.view.Data(a)[i] != 0 {
				t.Fatal("a masked weight moved")
			}
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, m := range models(t) {
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if back.cfg != m.cfg || back.vocab.Size() != m.vocab.Size() {
			t.Fatalf("read back %+v", back.cfg)
		}
		// A model without spatial maps keeps version 1, which builds
		// before them read.
		if v, want := binary.LittleEndian.Uint32(buf.Bytes()[8:]), map[bool]uint32{true: 1, false: 2}[m.cfg.Maps == 0]; v != want {
			t.Fatalf("maps %d: payload version %d, want %d", m.cfg.Maps, v, want)
		}
		for i, v := range m.arena.Params {
			if back.arena.Params[i] != v {
				t.Fatal("weights differ")
			}
		}
		for n := 0; n < buf.Len(); n += 1 + n/3 {
			if _, err := Read(bytes.NewReader(buf.Bytes()[:n]), int64(n)); err == nil {
				t.Fatalf("payload truncated to %d bytes accepted", n)
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, m := range models(f) {
		var buf bytes.Buffer
		m.WriteTo(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		st := m.NewState()
		st.Append(m.vocab.BOS())
		st.LogProb(0)
	})
}
