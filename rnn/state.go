package rnn

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/internal/logprobs"
	"github.com/autoreg/autoreg/nn"
)

// State is one history: the hidden (and, for LSTM, cell) state of every
// layer after the tokens appended so far. Append runs one step per token;
// nothing is allocated after NewState.
type State struct {
	m     *Model
	n     int
	h, c  []float32 // (L,H)
	buf   StepBuf
	next  logprobs.Cache // the next token's logits and log-probabilities
	exact bool           // the bit-exact path (NewExactState)
	// ScoreSequence buffers, allocated on first use.
	hbuf, lbuf []float32
}

// NewState returns an empty history.
func (m *Model) NewState() autoreg.State { return m.newState(false) }

func (m *Model) newState(exact bool) *State {
	L, H := m.cfg.Layers, m.cfg.Hidden
	return &State{m: m, h: make([]float32, L*H), c: make([]float32, L*H), buf: m.stack.NewStepBuf(),
		next: logprobs.New("rnn", m.V, exact), exact: exact}
}

// Len is the number of tokens appended since Reset.
func (s *State) Len() int { return s.n }

// Reset returns to the empty history (zero state).
func (s *State) Reset() {
	clear(s.h)
	clear(s.c)
	s.n = 0
	s.next.Stale()
}

// CopyTo makes dst, a State of the same Model, an independent copy.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m || d.exact != s.exact {
		panic("rnn: CopyTo: destination is not a state of the same model and path")
	}
	copy(d.h, s.h)
	copy(d.c, s.c)
	s.next.CopyTo(&d.next)
	d.n = s.n
}

// Append runs the network over xs, one step per token.
func (s *State) Append(xs ...autoreg.Token) {
	m, a := s.m, s.m.arena
	E := m.cfg.embed()
	for _, x := range xs {
		s.next.CheckToken("Append", x)
		in := s.buf.x[:E]
		copy(in, m.emb.Data(a)[int(x)*E:int(x+1)*E])
		if s.exact {
			m.stack.StepExact(a, &s.buf, s.h, s.c, in)
		} else {
			m.stack.Step(a, &s.buf, s.h, s.c, in)
		}
		s.n++
	}
	if len(xs) > 0 {
		s.next.Stale()
	}
}

// logits computes the next token's logits from the last layer's h.
func (s *State) logits(dst []float32) {
	m, a := s.m, s.m.arena
	H, L := m.cfg.Hidden, m.cfg.Layers
	if s.exact {
		exact.Linear(dst, s.h[(L-1)*H:L*H], m.outWeight().Data(a), m.bout.Data(a), 1, H, m.V)
		return
	}
	nn.LinearForward(dst, s.h[(L-1)*H:L*H], m.outWeight().Data(a), m.bout.Data(a), 1, H, m.V)
}

// LogProbs writes log P(next | history) for every token into dst. The
// empty history predicts the uniform distribution.
func (s *State) LogProbs(dst []float32) { s.next.LogProbs(dst, s.n == 0, s.logits) }

// LogProb returns log P(next = x | history).
func (s *State) LogProb(x autoreg.Token) float64 { return s.next.LogProb(x, s.n == 0, s.logits) }

// scoreChunk is how many tokens ScoreSequence runs before one batched
// output layer.
const scoreChunk = 64

// ScoreSequence implements autoreg.Scorer: the recurrence still runs token
// by token, but the output layer (a V×H product, the larger part of the
// work for word vocabularies) runs as one matrix product per chunk of
// tokens instead of one matrix-vector product per token.
func (m *Model) ScoreSequence(st autoreg.State, xs []autoreg.Token, dst []float64) {
	s, ok := st.(*State)
	if !ok || s.m != m {
		panic("rnn: ScoreSequence: state of another model")
	}
	if len(dst) != len(xs) {
		panic(fmt.Sprintf("rnn: ScoreSequence: %d tokens, %d results", len(xs), len(dst)))
	}
	if s.exact { // token by token: no batched output layer on the exact path
		for i, x := range xs {
			dst[i] = s.LogProb(x)
			s.Append(x)
		}
		return
	}
	H, L, V := m.cfg.Hidden, m.cfg.Layers, m.V
	if s.hbuf == nil {
		s.hbuf = make([]float32, scoreChunk*H)
		s.lbuf = make([]float32, scoreChunk*V)
	}
	a := m.arena
	for i := 0; i < len(xs); {
		dst[i] = s.LogProb(xs[i])
		n := min(scoreChunk, len(xs)-i)
		for j := range n {
			s.Append(xs[i+j])
			copy(s.hbuf[j*H:(j+1)*H], s.h[(L-1)*H:L*H])
		}
		nn.LinearForward(s.lbuf[:n*V], s.hbuf[:n*H], m.outWeight().Data(a), m.bout.Data(a), n, H, V)
		for j := 0; j+1 < n; j++ {
			dst[i+1+j] = nn.LogProbRow(s.lbuf[j*V:(j+1)*V], int(xs[i+1+j]), s.next.Scratch)
		}
		copy(s.next.Logits, s.lbuf[(n-1)*V:n*V])
		s.next.SetLogits()
		i += n
	}
}
