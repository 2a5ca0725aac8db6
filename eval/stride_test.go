package eval

import (
	"math"
	"slices"
	"testing"

	"github.com/autoreg/autoreg"
)

// recModel records, for every scored token, the history its state held.
type recModel struct {
	v    autoreg.Vocab
	ctx  int
	seen *[][]autoreg.Token
}

func (m recModel) Vocab() autoreg.Vocab    { return m.v }
func (m recModel) ContextLen() int         { return m.ctx }
func (m recModel) NewState() autoreg.State { return &recState{m: m} }

type recState struct {
	m    recModel
	hist []autoreg.Token
}

func (s *recState) Append(xs ...autoreg.Token) { s.hist = append(s.hist, xs...) }
func (s *recState) LogProbs(dst []float32) {
	for i := range dst {
		dst[i] = float32(-math.Log(float64(len(dst))))
	}
}
func (s *recState) LogProb(x autoreg.Token) float64 {
	*s.m.seen = append(*s.m.seen, slices.Clone(s.hist))
	return -math.Log(float64(s.m.v.Size()))
}
func (s *recState) CopyTo(dst autoreg.State) { dst.(*recState).hist = slices.Clone(s.hist) }
func (s *recState) Reset()                   { s.hist = s.hist[:0] }
func (s *recState) Len() int                 { return len(s.hist) }

func TestStride(t *testing.T) {
	var seen [][]autoreg.Token
	m := recModel{v: autoreg.Vocab{Base: 50}, ctx: 8, seen: &seen}
	const W, S = 8, 3
	seq := []autoreg.Token{m.v.BOS()}
	for i := range 30 {
		seq = append(seq, autoreg.Token(i))
	}
	seq = append(seq, m.v.EOS())
	sc := NewScorer(m)
	if w, st := sc.SetStride(S); w != W || st != S {
		t.Fatalf("window %d stride %d", w, st)
	}
	sc.Add(seq[:10])
	sc.Add(seq[10:])
	r := sc.Result()
	if r.Tokens != int64(len(seq)-1) || len(seen) != len(seq)-1 {
		t.Fatalf("%d tokens scored, %d recorded, want %d", r.Tokens, len(seen), len(seq)-1)
	}
	for i := 1; i < len(seq); i++ {
		start := 0
		if i >= W {
			start = ((i-W)/S + 1) * S
		}
		want := seq[start:i]
		if !slices.Equal(seen[i-1], want) {
			t.Fatalf("token %d scored after %v, want %v", i, seen[i-1], want)
		}
		if len(want) > W-1 || (i >= W && len(want) < W-S) {
			t.Fatalf("token %d: history of %d", i, len(want))
		}
	}
	if r.Window != W || r.Stride != S {
		t.Fatalf("result window %d stride %d", r.Window, r.Stride)
	}
}

// Continuous scoring keeps the history across sequences: <s> is appended
// as context, not a reset.
func TestContinuous(t *testing.T) {
	var seen [][]autoreg.Token
	m := recModel{v: autoreg.Vocab{Base: 50}, ctx: 0, seen: &seen}
	v := m.v
	stream := []autoreg.Token{v.BOS(), 1, 2, v.EOS(), v.BOS(), 3, v.EOS()}
	sc := NewScorer(plainModel{m})
	sc.Continuous = true
	sc.Add(stream)
	r := sc.Result()
	if r.Tokens != 5 || r.Sequences != 2 {
		t.Fatalf("tokens %d sequences %d", r.Tokens, r.Sequences)
	}
	// The token 3 is scored after the whole first sentence and <s>.
	want := []autoreg.Token{v.BOS(), 1, 2, v.EOS(), v.BOS()}
	if !slices.Equal(seen[3], want) {
		t.Fatalf("history of the second sentence's first token: %v, want %v", seen[3], want)
	}
}

// plainModel hides recModel's ContextLen (not Windowed).
type plainModel struct{ r recModel }

func (p plainModel) Vocab() autoreg.Vocab    { return p.r.Vocab() }
func (p plainModel) NewState() autoreg.State { return p.r.NewState() }

// With a control code, every window that leaves out the sequence's <s>
// starts with <s> and the code instead of its two oldest tokens.
func TestStrideControl(t *testing.T) {
	var seen [][]autoreg.Token
	m := recModel{v: autoreg.Vocab{Base: 50, Controls: []string{"c"}}, ctx: 8, seen: &seen}
	const W, S = 8, 3
	code, _ := m.v.Control("c")
	seq := []autoreg.Token{m.v.BOS(), code}
	for i := range 30 {
		seq = append(seq, autoreg.Token(i))
	}
	seq = append(seq, m.v.EOS(), m.v.BOS())
	for i := range 12 { // an untagged sequence: nothing pinned
		seq = append(seq, autoreg.Token(i))
	}
	sc := NewScorer(m)
	sc.SetStride(S)
	sc.Add(seq)
	sc.Result()
	second := slices.Index(seq[1:], m.v.BOS()) + 1
	k := 0
	for i := 2; i < len(seq); i++ {
		if i == second {
			continue // <s> is not scored
		}
		first := 0
		if i > second {
			first = second
		}
		j := i - first // position in its sequence
		start := 0
		if j >= W {
			start = ((j-W)/S + 1) * S
		}
		want := slices.Clone(seq[first+start : i])
		if first == 0 && start > 0 {
			want[0], want[1] = m.v.BOS(), code
		}
		if k >= len(seen) || !slices.Equal(seen[k], want) {
			t.Fatalf("token %d scored after %v, want %v", i, seen[min(k, len(seen)-1)], want)
		}
		k++
	}
	if k != len(seen) {
		t.Fatalf("%d tokens scored, want %d", len(seen), k)
	}
}
