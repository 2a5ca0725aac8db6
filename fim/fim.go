// Package fim is fill-in-the-middle for left-to-right language models
// (Bavarian et al. 2022, "Efficient Training of Language Models to Fill in
// the Middle"). A document is split at two points into prefix, middle and
// suffix, and moved so that the middle comes last, marked by sentinel
// tokens:
//
//	PSM:  <PRE> prefix <SUF> suffix <MID> middle <END>
//	SPM:  <PRE> <SUF> suffix <MID> prefix middle <END>
//
// (SPM is the paper's variant that trains jointly with PSM.) A model trained
// on such sequences, besides ordinary text, generates a middle given both
// sides: it is conditioned on <PRE> <SUF> suffix <MID> prefix (or in PSM
// order on <PRE> prefix <SUF> suffix <MID>), and the middle ends where it
// predicts <END>.
//
// The sentinels are control codes with reserved tags ([Tags]): the
// vocabulary layout's specials are fixed for every model, so adding
// specials would move every existing model's control-code ids.
package fim

import (
	"fmt"
	"math"

	"github.com/autoreg/autoreg"
)

// The sentinels' control-code tags.
const (
	TagPrefix = "fim-prefix"
	TagSuffix = "fim-suffix"
	TagMiddle = "fim-middle"
	TagEnd    = "fim-end"
)

// Tags lists the sentinels' tags in the order a FIM model's vocabulary
// holds them (after its other control codes).
var Tags = []string{TagPrefix, TagSuffix, TagMiddle, TagEnd}

// Sentinels are the sentinel tokens of a vocabulary.
type Sentinels struct {
	Pre, Suf, Mid, End autoreg.Token
}

// Lookup returns the sentinels of v, and false if v lacks any of them (a
// model not trained to fill in the middle).
func Lookup(v autoreg.Vocab) (Sentinels, bool) {
	var s Sentinels
	for i, p := range []*autoreg.Token{&s.Pre, &s.Suf, &s.Mid, &s.End} {
		t, ok := v.Control(Tags[i])
		if !ok {
			return Sentinels{}, false
		}
		*p = t
	}
	return s, true
}

// Overhead is the number of sentinels a FIM sequence adds.
const Overhead = 4

// Arrange writes into dst (len(doc) + Overhead tokens, not aliasing doc)
// the FIM sequence of doc split before positions i ≤ j: prefix doc[:i],
// middle doc[i:j], suffix doc[j:], in PSM order or with spm in SPM order.
func (s Sentinels) Arrange(dst, doc []autoreg.Token, i, j int, spm bool) {
	if i < 0 || i > j || j > len(doc) || len(dst) != len(doc)+Overhead {
		panic(fmt.Sprintf("fim: Arrange: split %d, %d of %d tokens into %d", i, j, len(doc), len(dst)))
	}
	p, m, x := doc[:i], doc[i:j], doc[j:]
	d := dst[:0]
	if spm {
		d = append(d, s.Pre, s.Suf)
		d = append(d, x...)
		d = append(d, s.Mid)
		d = append(d, p...)
	} else {
		d = append(d, s.Pre)
		d = append(d, p...)
		d = append(d, s.Suf)
		d = append(d, x...)
		d = append(d, s.Mid)
	}
	d = append(d, m...)
	_ = append(d, s.End)
}

// Order is the layout of a FIM sequence.
type Order int

// The two orders of the paper. SPM puts the prefix right before the
// middle it continues, so a model need not look back across the suffix
// for the middle's left neighbour; models trained on both (--fim-spm-rate)
// fill in better in SPM order (the paper found the same), which is the
// default of infilling.
const (
	SPM Order = iota // <PRE> <SUF> suffix <MID> prefix middle <END>
	PSM              // <PRE> prefix <SUF> suffix <MID> middle <END>
)

// String returns "spm" or "psm".
func (o Order) String() string {
	if o == PSM {
		return "psm"
	}
	return "spm"
}

// ParseOrder parses "spm" or "psm".
func ParseOrder(s string) (Order, error) {
	switch s {
	case "spm":
		return SPM, nil
	case "psm":
		return PSM, nil
	}
	return 0, fmt.Errorf("fim: order %q, want spm or psm", s)
}

// Condition returns the tokens a FIM model is conditioned on to fill in
// the middle between prefix and suffix: in SPM order <PRE> <SUF> suffix
// <MID> prefix, in PSM order <PRE> prefix <SUF> suffix <MID>.
func (s Sentinels) Condition(prefix, suffix []autoreg.Token, o Order) []autoreg.Token {
	c := make([]autoreg.Token, 0, len(prefix)+len(suffix)+3)
	if o == SPM {
		c = append(c, s.Pre, s.Suf)
		c = append(c, suffix...)
		c = append(c, s.Mid)
		return append(c, prefix...)
	}
	c = append(c, s.Pre)
	c = append(c, prefix...)
	c = append(c, s.Suf)
	c = append(c, suffix...)
	return append(c, s.Mid)
}

// Fit cuts prefix and suffix to at most budget tokens in all, for a FIM
// model's window: the suffix keeps its first tokens, up to half the budget
// (or more if the prefix is short), the prefix its last tokens, the rest.
func Fit(prefix, suffix []autoreg.Token, budget int) (p, s []autoreg.Token) {
	budget = max(budget, 0)
	ns := min(len(suffix), budget/2)
	np := min(len(prefix), budget-ns)
	ns = min(len(suffix), budget-np)
	return prefix[len(prefix)-np:], suffix[:ns]
}

// Infill returns the model of middles between prefix and suffix: a view
// of m (a FIM model) whose States start conditioned on both sides (in
// order o) and in
// which </s> ends the middle: its probability is the model's for <END>
// plus the model's for the text's own </s> (either ends the middle), and
// <END> itself is impossible, so that every sampler, beam search and
// evaluation ends a middle where the model does. Appending </s> to its
// States appends <END>. Callers keep the condition and the middle within
// m's context.
func Infill(m autoreg.Model, prefix, suffix []autoreg.Token, o Order) (autoreg.Model, error) {
	s, ok := Lookup(m.Vocab())
	if !ok {
		return nil, fmt.Errorf("fim: the model has no fill-in-the-middle sentinels (train it with --fim-rate)")
	}
	cond := s.Condition(prefix, suffix, o)
	v := m.Vocab()
	for _, t := range cond {
		if !v.Valid(t) {
			return nil, fmt.Errorf("fim: token %d outside the vocabulary of %d", t, v.Size())
		}
	}
	base := m.NewState()
	base.Append(cond...)
	in := &infill{m: m, s: s, eos: v.EOS(), base: base, n0: base.Len()}
	if sc, ok := m.(autoreg.Scorer); ok {
		return &scoringInfill{infill: in, sc: sc}, nil
	}
	return in, nil
}

// infill is the model Infill returns.
type infill struct {
	m    autoreg.Model
	s    Sentinels
	eos  autoreg.Token
	base autoreg.State // conditioned on the prefix and suffix
	n0   int           // base.Len()
}

func (f *infill) Vocab() autoreg.Vocab { return f.m.Vocab() }

func (f *infill) NewState() autoreg.State {
	st := &state{f: f, in: f.m.NewState()}
	f.base.CopyTo(st.in)
	return st
}

// scoringInfill is an infill over a model that scores sequences in one
// pass (autoreg.Scorer).
type scoringInfill struct {
	*infill
	sc autoreg.Scorer
}

// ScoreSequence scores xs after st's history, the runs between </s>
// tokens in one pass of the model underneath.
func (f *scoringInfill) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s := st.(*state)
	for len(xs) > 0 {
		k := 0
		for k < len(xs) && xs[k] != f.eos && xs[k] != f.s.End {
			k++
		}
		if k > 0 {
			f.sc.ScoreSequence(s.in, xs[:k], dst[:k])
		}
		if k == len(xs) {
			return
		}
		dst[k] = s.LogProb(xs[k])
		s.Append(xs[k])
		xs, dst = xs[k+1:], dst[k+1:]
	}
}

// toInner maps a token of the view to the model's: </s> is <END>.
func (f *infill) toInner(x autoreg.Token) autoreg.Token {
	if x == f.eos {
		return f.s.End
	}
	return x
}

// state is a State of an infill view.
type state struct {
	f   *infill
	in  autoreg.State
	buf []autoreg.Token
}

func (s *state) Append(xs ...autoreg.Token) {
	s.buf = s.buf[:0]
	for _, x := range xs {
		s.buf = append(s.buf, s.f.toInner(x))
	}
	s.in.Append(s.buf...)
}

func (s *state) LogProbs(dst []float32) {
	s.in.LogProbs(dst)
	e := logAddExp(float64(dst[s.f.s.End]), float64(dst[s.f.eos]))
	dst[s.f.eos], dst[s.f.s.End] = float32(e), float32(math.Inf(-1))
}

func (s *state) LogProb(x autoreg.Token) float64 {
	switch x {
	case s.f.s.End:
		return math.Inf(-1)
	case s.f.eos:
		return logAddExp(s.in.LogProb(s.f.s.End), s.in.LogProb(s.f.eos))
	}
	return s.in.LogProb(x)
}

// logAddExp is log(eᵃ + eᵇ).
func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

func (s *state) CopyTo(dst autoreg.State) {
	d, ok := dst.(*state)
	if !ok {
		panic("fim: CopyTo: destination is not a state of an infill model")
	}
	d.f = s.f
	s.in.CopyTo(d.in)
}

func (s *state) Reset() { s.f.base.CopyTo(s.in) }

func (s *state) Len() int { return s.in.Len() - s.f.n0 }
