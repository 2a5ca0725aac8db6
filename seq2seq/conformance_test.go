package seq2seq

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/modeltest"
)

// conformance runs the seam's conformance suite on the model conditioned
// on src (src nil: the model itself, which conditions on the empty source).
// The states compute every row as a batch of one, so appending a history at
// once, token by token or through ScoreSequence gives identical bits;
// LogProb computes one log-softmax entry in float64 where LogProbs rounds
// the vector to float32 (2e-6); the teacher is ForwardPairs on the pair
// (src, the history's first window), the training path's kernels (1e-5).
func conformance(t *testing.T, m *Model, src []autoreg.Token) {
	var under autoreg.Model = m
	if src != nil {
		cm, err := m.Condition(src)
		if err != nil {
			t.Fatal(err)
		}
		under = cm
	}
	T := m.cfg.Context
	hs := append(modeltest.Histories(m.vocab, 2, 3*T+5), append([]autoreg.Token{m.vocab.BOS()}, randSeq(rand.New(rand.NewPCG(3, 3)), 2*T, m.vocab.Base)...))
	teacher := func(xs []autoreg.Token, dst []float64) {
		n := len(xs) - 1
		s := append(toIDs(src), int32(m.srcVocab.EOS()))
		m.ForwardPairs(s, []int32{int32(len(s))}, len(s), toIDs(xs[:n]), toIDs(xs[1:]), 1, n, nil)
		for i, l := range m.Losses()[:n] {
			dst[i] = -float64(l)
		}
	}
	modeltest.TestModel(t, under, modeltest.Options{
		Histories:  hs,
		LogProbTol: 2e-6,
		Teacher:    teacher,
		TeacherLen: T,
		TeacherTol: 1e-5,
		SaveLoad: func(autoreg.Model) (autoreg.Model, error) {
			var buf bytes.Buffer
			n, err := m.WriteTo(&buf)
			if err != nil {
				return nil, err
			}
			m2, err := Read(&buf, n)
			if err != nil || src == nil {
				return m2, err
			}
			return m2.Condition(src)
		},
	})
}

func toIDs(ts []autoreg.Token) []int32 {
	out := make([]int32, len(ts))
	for i, t := range ts {
		out[i] = int32(t)
	}
	return out
}

// TestConformance runs the seam's suite on the model given a source and
// given none, and the conditional suite: conditioning, batched
// conditioning, copies and batched steps across sources, on sources up to
// the longest and a target that crosses the window.
func TestConformance(t *testing.T) {
	m := tinyModel(t, Config{EncLayers: 2, DecLayers: 2, Dim: 64, Heads: 4, FFN: 96, SrcContext: 12, Context: 10}, 23, 17)
	rng := rand.New(rand.NewPCG(11, 11))
	perturb(m, rng, 0.05)
	src1 := randSeq(rng, 7, 17)
	t.Run("source", func(t *testing.T) { conformance(t, m, src1) })
	t.Run("empty source", func(t *testing.T) { conformance(t, m, nil) })
	target := append([]autoreg.Token{m.vocab.BOS()}, randSeq(rng, 2*m.cfg.Context+3, m.vocab.Base)...)
	t.Run("conditional", func(t *testing.T) {
		modeltest.TestConditional(t, m, modeltest.ConditionalOptions{Seed: 5, Target: target})
	})
	var _ autoreg.BatchConditional = m
	var _ autoreg.Scorer = m
}
