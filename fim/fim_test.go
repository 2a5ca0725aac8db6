package fim_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/decode"
	"github.com/autoreg/autoreg/fim"
	"github.com/autoreg/autoreg/gpt"
	"github.com/autoreg/autoreg/internal/modeltest"
)

func TestArrange(t *testing.T) {
	s := fim.Sentinels{Pre: 100, Suf: 101, Mid: 102, End: 103}
	doc := []autoreg.Token{1, 2, 3, 4, 5}
	dst := make([]autoreg.Token, len(doc)+fim.Overhead)
	s.Arrange(dst, doc, 1, 3, false)
	if want := []autoreg.Token{100, 1, 101, 4, 5, 102, 2, 3, 103}; !slices.Equal(dst, want) {
		t.Fatalf("PSM %v, want %v", dst, want)
	}
	s.Arrange(dst, doc, 1, 3, true)
	if want := []autoreg.Token{100, 101, 4, 5, 102, 1, 2, 3, 103}; !slices.Equal(dst, want) {
		t.Fatalf("SPM %v, want %v", dst, want)
	}
	s.Arrange(dst, doc, 0, 5, false) // all middle
	if want := []autoreg.Token{100, 101, 102, 1, 2, 3, 4, 5, 103}; !slices.Equal(dst, want) {
		t.Fatalf("empty sides %v, want %v", dst, want)
	}
	if c := s.Condition([]autoreg.Token{1}, []autoreg.Token{5}, fim.PSM); !slices.Equal(c, []autoreg.Token{100, 1, 101, 5, 102}) {
		t.Fatalf("PSM condition %v", c)
	}
	if c := s.Condition([]autoreg.Token{1}, []autoreg.Token{5}, fim.SPM); !slices.Equal(c, []autoreg.Token{100, 101, 5, 102, 1}) {
		t.Fatalf("SPM condition %v", c)
	}
}

func TestLookup(t *testing.T) {
	v := autoreg.Vocab{Base: 10, Controls: append([]string{"test"}, fim.Tags...)}
	s, ok := fim.Lookup(v)
	if !ok || s.Pre != 14 || s.End != 17 {
		t.Fatalf("%v %v", s, ok)
	}
	if _, ok := fim.Lookup(autoreg.Vocab{Base: 10}); ok {
		t.Fatal("sentinels found in a vocabulary without them")
	}
}

// TestInfill: the view reports <END> as </s>, appends <END> for </s>,
// keeps the condition across Reset and copies, and a sampler stops where
// the model predicts <END>.
func TestInfill(t *testing.T) {
	v := autoreg.Vocab{Base: 12, Controls: fim.Tags}
	m, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 32}, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := fim.Lookup(v)
	prefix, suffix := []autoreg.Token{v.BOS(), 1, 2}, []autoreg.Token{3, 4}
	im, err := fim.Infill(m, prefix, suffix, fim.SPM)
	if err != nil {
		t.Fatal(err)
	}
	ref := m.NewState()
	ref.Append(s.Condition(prefix, suffix, fim.SPM)...)
	st := im.NewState()
	V := v.Size()
	got, want := make([]float32, V), make([]float32, V)
	st.LogProbs(got)
	ref.LogProbs(want)
	end := math.Log(math.Exp(float64(want[s.End])) + math.Exp(float64(want[v.EOS()])))
	if math.Abs(float64(got[v.EOS()])-end) > 1e-6 || !math.IsInf(float64(got[s.End]), -1) || got[5] != want[5] {
		t.Fatalf("view %v, model %v", got, want)
	}
	if math.Abs(st.LogProb(v.EOS())-end) > 1e-6 || st.Len() != 0 {
		t.Fatal("LogProb or Len")
	}
	st.Append(7, v.EOS())
	ref.Append(7, s.End)
	if st.LogProb(2) != ref.LogProb(2) || st.Len() != 2 {
		t.Fatal("</s> did not append <END>")
	}
	c := im.NewState()
	st.CopyTo(c)
	st.Reset()
	st.LogProbs(got)
	if math.Abs(float64(got[v.EOS()])-end) > 1e-6 || c.Len() != 2 {
		t.Fatal("Reset or CopyTo")
	}
	// Scoring in one pass agrees with token by token.
	xs := []autoreg.Token{5, 6, v.EOS()}
	a := im.NewState()
	dst := make([]float64, len(xs))
	im.(autoreg.Scorer).ScoreSequence(a, xs, dst)
	b := im.NewState()
	for i, x := range xs {
		if d := math.Abs(dst[i] - b.LogProb(x)); d > 1e-4 {
			t.Fatalf("ScoreSequence %d: %v, token by token %v", i, dst[i], b.LogProb(x))
		}
		b.Append(x)
	}
	// Generation ends at the model's <END>, reported as </s>.
	cfg := decode.DefaultConfig()
	cfg.MaxTokens, cfg.Seed = 20, 1
	rs, err := decode.Run(context.Background(), im, nil, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs[0].Tokens[:max(len(rs[0].Tokens)-1, 0)] {
		if x == v.BOS() || x == v.EOS() || int(x) >= v.Base+autoreg.NumReserved {
			t.Fatalf("special %d inside the middle %v", x, rs[0].Tokens)
		}
	}
	if _, err := fim.Infill(m, prefix, suffix, fim.PSM); err != nil {
		t.Fatal(err)
	}
	plain, _ := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 32}, autoreg.Vocab{Base: 12}, 3)
	if _, err := fim.Infill(plain, prefix, suffix, fim.SPM); err == nil {
		t.Fatal("a model without sentinels was accepted")
	}
}

// TestInfillConformance: the infilling view passes the seam's suite.
func TestInfillConformance(t *testing.T) {
	v := autoreg.Vocab{Base: 12, Controls: fim.Tags}
	m, err := gpt.New(gpt.Config{Layers: 1, Dim: 16, Heads: 2, Context: 48}, v, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Arena().Params {
		m.Arena().Params[i] *= 5 // far from uniform
	}
	m.ParamsChanged()
	im, err := fim.Infill(m, []autoreg.Token{v.BOS(), 1, 2}, []autoreg.Token{3, 4, v.EOS()}, fim.SPM)
	if err != nil {
		t.Fatal(err)
	}
	modeltest.TestModel(t, im, modeltest.Options{HistoryLen: 20, LogProbTol: 2e-6, AppendTol: 1e-5, ScoreTol: 1e-5,
		// The view allocates nothing of its own (its token buffer is
		// reused); the GPT underneath is held to it by gpt's own suite.
		Skip: map[modeltest.Check]string{modeltest.Allocs: "the GPT's generation is checked by gpt's suite"}})
}
