package seq2seq

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/logprobs"
	"github.com/autoreg/autoreg/internal/window"
	"github.com/autoreg/autoreg/nn"
)

// Source is a Model conditioned on one encoded source (see
// Model.Condition): the model of target sequences given it. It holds every
// decoder layer's cross-attention keys and values of the source, computed
// once and shared by all of its States. It is read-only and safe for
// concurrent use.
type Source struct {
	m  *Model
	S  int         // encoded positions: the source's tokens and its </s>
	kv [][]float32 // per decoder layer (S,2C): [keys | values]
}

// Vocab describes the target's token space.
func (s *Source) Vocab() autoreg.Vocab { return s.m.vocab }

// NewState returns the empty target history given the source.
func (s *Source) NewState() autoreg.State { return s.m.newState(s) }

// Step advances many states by one token each in one batched pass
// (autoreg.Stepper); the states may belong to different sources of
// the same Model.
func (s *Source) Step(states []autoreg.State, xs []autoreg.Token) { s.m.Step(states, xs) }

// ScoreSequence scores xs after st's history in one batched pass
// (autoreg.Scorer).
func (s *Source) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s.m.ScoreSequence(st, xs, dst)
}

// ContextLen is the decoder's window.
func (s *Source) ContextLen() int { return s.m.cfg.Context }

// Positions is the number of encoded source positions, its </s> included.
func (s *Source) Positions() int { return s.S }

// NewState returns the empty target history given the empty source.
func (m *Model) NewState() autoreg.State { return m.newState(m.emptySource()) }

// emptySource returns the model conditioned on the empty source (made
// once, dropped with the packed weights' generation).
func (m *Model) emptySource() *Source {
	p := m.packed()
	m.emptyMu.Lock()
	e := m.empty
	m.emptyMu.Unlock()
	if e != nil && e.gen == p {
		return e.src
	}
	src := make([]*Source, 1)
	m.encodeBatch([][]autoreg.Token{nil}, 1, src)
	m.emptyMu.Lock()
	m.empty = &emptySource{gen: p, src: src[0]}
	m.emptyMu.Unlock()
	return src[0]
}

// emptySource caches the encoding of the empty source for the packed
// weights it was computed with.
type emptySource struct {
	gen *packedWeights
	src *Source
}

// State is one growing target history given a source, with a key/value
// cache of the decoder's self-attention: a new token costs one row of each
// product. The window holds at most Context tokens; when it is full and
// another comes, the oldest half is dropped and the rest re-encoded from
// position 0 (positions are learned absolute embeddings), as package gpt
// does. A State is used by one goroutine at a time; generating a token
// (Append of one, then LogProbs or LogProb) allocates nothing once the
// state has warmed up.
type State struct {
	m     *Model
	src   *Source
	toks  []autoreg.Token // the window
	n     int             // tokens appended since Reset
	k, v  [][]float32     // per layer, positions×C, grown on demand
	next  logprobs.Cache  // the last position's logits and log-probabilities
	reenc []autoreg.Token
	one   [1]*State
	sc    *stepScratch // the single-state passes' buffers, made on first use
}

func (m *Model) newState(src *Source) *State {
	s := &State{m: m, src: src, next: logprobs.New("seq2seq", m.V, false),
		k: make([][]float32, len(m.dec)), v: make([][]float32, len(m.dec))}
	s.one[0] = s
	return s
}

// reserve makes the caches hold positions [0, n).
func (s *State) reserve(n int) {
	C := s.m.cfg.Dim
	if len(s.k) > 0 && len(s.k[0]) >= n*C {
		return
	}
	size := min(max(n, 2*len(s.k[0])/C, 16), s.m.cfg.Context) * C
	for l := range s.k {
		k, v := make([]float32, size), make([]float32, size)
		copy(k, s.k[l])
		copy(v, s.v[l])
		s.k[l], s.v[l] = k, v
	}
}

// Source returns the conditioned model the state belongs to.
func (s *State) Source() *Source { return s.src }

// Len is the number of tokens appended since the last Reset.
func (s *State) Len() int { return s.n }

// Reset empties the target history (the source stays).
func (s *State) Reset() {
	s.toks = s.toks[:0]
	s.n = 0
	s.next.Stale()
}

// CopyTo makes dst, a State of the same Model (of any source), an
// independent copy of s, source included.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m {
		panic("seq2seq: CopyTo: destination is not a state of the same model")
	}
	d.src = s.src
	d.toks = append(d.toks[:0], s.toks...)
	d.n = s.n
	pos := len(s.toks)
	d.reserve(pos)
	C := s.m.cfg.Dim
	for l := range s.k {
		copy(d.k[l][:pos*C], s.k[l][:pos*C])
		copy(d.v[l][:pos*C], s.v[l][:pos*C])
	}
	s.next.CopyTo(&d.next)
}

func (m *Model) checkTokens(fn string, xs []autoreg.Token) {
	for _, x := range xs {
		if x < 0 || int(x) >= m.V {
			panic(fmt.Sprintf("seq2seq: %s: token %d outside the vocabulary of %d", fn, x, m.V))
		}
	}
}

// Append conditions the state on xs, all of them in one batched pass.
func (s *State) Append(xs ...autoreg.Token) {
	s.m.checkTokens("Append", xs)
	if len(xs) == 0 {
		return
	}
	s.append(xs, false)
}

// append encodes xs after the window, re-encoding a shorter window first
// when they would overflow it (the window appending them one by one would
// end with). With all, the logits of every row stay in the step scratch
// returned (nil otherwise).
func (s *State) append(xs []autoreg.Token, all bool) *stepScratch {
	T := s.m.cfg.Context
	s.n += len(xs)
	pos := len(s.toks)
	if pos+len(xs) <= T {
		return s.forward(xs, all)
	}
	w := window.Append(s.reenc, s.toks, xs, T)
	s.reenc = w
	s.toks = s.toks[:0]
	return s.forward(w, all)
}

// Step appends xs[i] to states[i] for every i in one batched pass
// (autoreg.Stepper). The states must be distinct States of m (of any
// sources); each ends with exactly the bits Append alone would give it.
func (m *Model) Step(states []autoreg.State, xs []autoreg.Token) {
	if len(states) != len(xs) {
		panic(fmt.Sprintf("seq2seq: Step: %d states, %d tokens", len(states), len(xs)))
	}
	m.checkTokens("Step", xs)
	sc := m.scratch()
	defer m.steps.Put(sc)
	sc.batch = sc.batch[:0]
	sc.toks = sc.toks[:0]
	T := m.cfg.Context
	for i, st := range states {
		s, ok := st.(*State)
		if !ok || s.m != m {
			panic("seq2seq: Step: a state of another model")
		}
		if len(s.toks) == T {
			// A full window: shift it alone first (the same bits as a
			// one-token Append, which shifts the same way).
			s.n++
			w := window.Append(s.reenc, s.toks, xs[i:i+1], T)
			s.reenc = w
			s.toks = s.toks[:0]
			s.forward(w, false)
			continue
		}
		s.n++
		sc.batch = append(sc.batch, s)
		sc.toks = append(sc.toks, xs[i])
	}
	if len(sc.batch) > 0 {
		sc.step(sc.batch, sc.toks, false)
	}
}

// forward runs the decoder over xs after the state's window (which must
// have room), on the state's own scratch: a state that generates needs
// no shared buffer, so it allocates nothing once warm. It returns the
// scratch, which holds every row's logits when all is set.
func (s *State) forward(xs []autoreg.Token, all bool) *stepScratch {
	if s.sc == nil {
		s.sc = newStepScratch(s.m)
	}
	s.sc.step(s.one[:], xs, all)
	return s.sc
}

// LogProbs writes log P(next | history, source) for every token into dst.
// The empty history (not even <s>) predicts the uniform distribution.
func (s *State) LogProbs(dst []float32) { s.next.LogProbs(dst, s.n == 0, nil) }

// LogProb returns log P(next = x | history, source).
func (s *State) LogProb(x autoreg.Token) float64 { return s.next.LogProb(x, s.n == 0, nil) }

// ScoreSequence writes into dst[i] the log-probability of xs[i] given st's
// history and xs[:i], then leaves st conditioned on all of xs
// (autoreg.Scorer): xs run through the decoder in one batched pass when
// they fit the window.
func (m *Model) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s, ok := st.(*State)
	if !ok || s.m != m {
		panic("seq2seq: ScoreSequence: a state of another model")
	}
	if len(dst) != len(xs) {
		panic(fmt.Sprintf("seq2seq: ScoreSequence: %d tokens, %d results", len(xs), len(dst)))
	}
	m.checkTokens("ScoreSequence", xs)
	if len(xs) == 0 {
		return
	}
	if len(s.toks)+len(xs) > m.cfg.Context {
		for i, x := range xs {
			dst[i] = s.LogProb(x)
			s.Append(x)
		}
		return
	}
	dst[0] = s.LogProb(xs[0])
	s.n += len(xs)
	sc := s.forward(xs, true)
	V := m.V
	for i := 1; i < len(xs); i++ {
		dst[i] = nn.LogProbRow(sc.logits[(i-1)*V:i*V], int(xs[i]), s.next.Scratch)
	}
}

// scratch returns a step scratch from the model's pool (for batched
// steps, whose states come and go).
func (m *Model) scratch() *stepScratch {
	if sc, ok := m.steps.Get().(*stepScratch); ok {
		return sc
	}
	return newStepScratch(m)
}
