package pixelcnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
	"github.com/autoreg/autoreg/internal/testutil/neuraltest"
)

// trainedModel returns a model trained for a few steps on images whose
// samples lean towards their class's level (or a fixed level), so that
// its distributions are far from uniform.
func trainedModel(t *testing.T, cfg Config, levels int, classes []string) *Model {
	t.Helper()
	m := newModel(t, cfg, levels, classes)
	rng := rand.New(rand.NewPCG(11, 12))
	B, T := 4, m.SeqLen()-1
	a := m.arena
	mo, vo := make([]float32, a.Len()), make([]float32, a.Len())
	for step := 1; step <= 20; step++ {
		x, y := images(m, rng, B)
		for b := range B {
			lean := int32(1)
			if m.classes > 0 {
				lean = (x[b*T+1] - int32(m.vocab.Base+autoreg.NumReserved)) % int32(m.K)
			}
			for i := range x[b*T:] {
				if i < T && rng.IntN(3) > 0 {
					off := m.SeqLen() - m.N
					if i >= off {
						x[b*T+i] = lean
					}
					if i >= off-1 {
						y[b*T+i] = lean
					}
				}
			}
		}
		a.ZeroGrad()
		_, n := m.Forward(x, y, B, T, nil)
		m.Backward(1 / float32(n))
		neuraltest.AdamStep(a.Params, a.Grads, mo, vo, step, 1e-2)
	}
	return m
}

// imageHistories returns histories that start with a whole image
// sequence (the teacher's window), then go on: with a second image cut
// short, and with tokens drawn from the whole vocabulary (specials and
// control codes anywhere).
func imageHistories(m *Model, rng *rand.Rand) [][]autoreg.Token {
	v := m.vocab
	image := func() []autoreg.Token {
		h := []autoreg.Token{v.BOS()}
		if m.classes > 0 {
			h = append(h, autoreg.Token(v.Base+autoreg.NumReserved+rng.IntN(m.classes)))
		}
		for range m.N {
			h = append(h, autoreg.Token(rng.IntN(m.K)))
		}
		return h
	}
	a := append(image(), image()[:m.N/2]...)
	b := image()
	for range 30 {
		b = append(b, autoreg.Token(rng.IntN(v.Size())))
	}
	return [][]autoreg.Token{a, b}
}

// The seam's conformance suite. Tolerances, about 10 times the largest
// difference seen: ScoreSequence scores an image through the batched
// convolutions (im2col and one product per layer over the whole image)
// where a state computes a row or a pixel at a time, the same sums in
// another order; so does the teacher (the training Forward).
func TestConformance(t *testing.T) {
	for _, c := range []struct {
		cfg     Config
		levels  int
		classes []string
	}{{grayCfg, 4, []string{"a", "b", "c"}}, {rgbCfg, 5, nil}} {
		m := trainedModel(t, c.cfg, c.levels, c.classes)
		t.Run(c.cfg.Image.String(), func(t *testing.T) {
			L := m.SeqLen()
			modeltest.TestModel(t, m, modeltest.Options{
				Histories:     imageHistories(m, rand.New(rand.NewPCG(3, 3))),
				BOSImpossible: true,
				ScoreStarts:   []int{0, 1, 2, L / 2, L},
				ScoreTol:      2e-6,
				Teacher:       m.teacher,
				TeacherLen:    L - 1,
				TeacherTol:    2e-6,
				SaveLoad:      modeltest.PayloadRoundTrip(Read),
			})
		})
	}
}

// teacher is the conformance suite's teacher: the training Forward over
// the first image of xs (<s>, the class, the samples), and the uniform
// probability of the class that the seam gives after <s>.
func (m *Model) teacher(xs []autoreg.Token, dst []float64) {
	T := len(xs) - 1
	if T != m.SeqLen()-1 {
		panic(fmt.Sprintf("teacher: %d tokens, an image sequence has %d", len(xs), m.SeqLen()))
	}
	y := neuraltest.Tokens(xs[1:])
	m.Forward(neuraltest.Tokens(xs[:T]), y, 1, T, nil)
	for i, l := range m.Losses()[:T] {
		dst[i] = -float64(l)
	}
	if m.classes > 0 {
		dst[0] = -math.Log(float64(m.classes))
	}
}
