package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/corpus"
	"github.com/autoreg/autoreg/tokenize"
)

// bigram is a toy model: P(x | prev) ∝ 1 + [x == prev+1], with BOS
// impossible; the empty history and BOS as history give the uniform share.
type bigram struct{ v autoreg.Vocab }

func (m *bigram) Vocab() autoreg.Vocab    { return m.v }
func (m *bigram) NewState() autoreg.State { return &bigramState{m: m, prev: -1} }

type bigramState struct {
	m    *bigram
	prev autoreg.Token
	n    int
}

func (s *bigramState) Append(xs ...autoreg.Token) {
	for _, x := range xs {
		s.prev = x
		s.n++
	}
}
func (s *bigramState) LogProb(x autoreg.Token) float64 {
	if x == s.m.v.BOS() {
		return math.Inf(-1)
	}
	z := float64(s.m.v.Size() - 1)
	w := 1.0
	if s.prev >= 0 && x == s.prev+1 && s.prev != s.m.v.BOS() {
		w, z = 2, z+1
	}
	return math.Log(w / z)
}
func (s *bigramState) LogProbs(dst []float32) {
	for i := range dst {
		dst[i] = float32(s.LogProb(autoreg.Token(i)))
	}
}
func (s *bigramState) CopyTo(dst autoreg.State) { *dst.(*bigramState) = *s }
func (s *bigramState) Reset()                   { s.prev, s.n = -1, 0 }
func (s *bigramState) Len() int                 { return s.n }

// batched adds the Scorer interface on top of the same model.
type batched struct{ bigram }

func (m *batched) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	for i, x := range xs {
		dst[i] = st.LogProb(x)
		st.Append(x)
	}
}

func TestScoreByHand(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.txt")
	os.WriteFile(p, []byte("abz\nb\n"), 0o644)
	tok, _ := tokenize.NewChar([]rune("abc\n"))
	docs, _ := corpus.Files([]string{p}, corpus.Options{})
	m := &bigram{v: tok.Vocab()} // base 4 (\n a b c) + 3 specials = 7 tokens
	// Lines mode: <s> a b <unk> </s>, <s> b </s>.
	// z = 6 (all but BOS); a follows nothing special: 1/6; b after a: 2/7;
	// <unk> after b (ids: \n=0 a=1 b=2 c=3, unk=6): 1/6; </s> (5) after unk: 1/6;
	// b after <s>: 1/6; </s> after b: 1/6.
	want := -(math.Log(1.0/6)*5 + math.Log(2.0/7))
	// The same text from a file, from memory and from a reader.
	sources := map[string]func() []corpus.Doc{
		"file":   func() []corpus.Doc { return docs },
		"text":   func() []corpus.Doc { return []corpus.Doc{corpus.TextDoc("t", "abz\nb\n")} },
		"reader": func() []corpus.Doc { return []corpus.Doc{corpus.ReaderDoc("t", strings.NewReader("abz\nb\n"))} },
	}
	for _, model := range []autoreg.Model{m, &batched{*m}} {
		for name, src := range sources {
			r, err := Run(context.Background(), model, tok, src(), Options{Mode: corpus.Lines})
			if err != nil {
				t.Fatal(err)
			}
			checkByHand(t, name, r, want)
		}
	}
}

func checkByHand(t *testing.T, name string, r Result, want float64) {
	t.Helper()
	if r.Tokens != 6 || r.OOV != 1 || r.Sequences != 2 || r.Chars != 6 || r.Bytes != 6 || r.Files != 1 {
		t.Fatalf("%s: counts %+v", name, r)
	}
	if math.Abs(r.NLL-want) > 1e-12 || math.Abs(r.NLLExclOOV-(want+math.Log(1.0/6))) > 1e-12 {
		t.Fatalf("%s: NLL %v, want %v", name, r.NLL, want)
	}
	if math.Abs(r.PPL()-math.Exp(want/6)) > 1e-9 || math.Abs(r.BitsPerChar()-want/math.Ln2/6) > 1e-12 {
		t.Fatalf("%s: derived figures wrong: %v", name, r.JSON())
	}
}

func TestControlCodesAreContext(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x_test.go")
	os.WriteFile(p, []byte("ab"), 0o644)
	base, _ := tokenize.NewChar([]rune("ab"))
	tok, _ := tokenize.WithControls(base, []string{"test"})
	docs, _ := corpus.Files([]string{p}, corpus.Options{})
	ctl, _ := corpus.ParseControl("glob:*_test.go=test")
	m := &bigram{v: tok.Vocab()}
	var seen []autoreg.Token
	s := NewScorer(m)
	s.PerToken = func(x autoreg.Token, _ float64) { seen = append(seen, x) }
	corpus.Tokens(context.Background(), docs, tok, corpus.TokenOptions{Control: ctl}, func(ch []autoreg.Token) error { s.Add(ch); return nil })
	r := s.Result()
	// Scored: a, b, </s>; the control code only conditions.
	if r.Tokens != 3 || len(seen) != 3 || seen[0] != 0 {
		t.Fatalf("scored %v (%d tokens)", seen, r.Tokens)
	}
	withCtl, _ := Run(context.Background(), m, tok, docs, Options{Mode: corpus.Stream, Control: ctl})
	without, _ := Run(context.Background(), m, tok, docs, Options{Mode: corpus.Stream})
	if withCtl.Tokens != without.Tokens || withCtl.Sequences != 1 {
		t.Fatalf("control conditioning: %+v vs %+v", withCtl, without)
	}
}

// Marginal is −log of the class-averaged likelihood.
func TestMarginal(t *testing.T) {
	for _, c := range []struct {
		nll  []float64
		want float64
	}{
		{[]float64{math.Ln2, math.Ln2}, math.Ln2},
		{[]float64{1, 1000}, 1 + math.Ln2},
		{[]float64{3}, 3},
		{[]float64{1, 2, 3}, -math.Log((math.Exp(-1) + math.Exp(-2) + math.Exp(-3)) / 3)},
	} {
		if got := Marginal(c.nll); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Marginal(%v) = %v, want %v", c.nll, got, c.want)
		}
	}
}
