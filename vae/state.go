package vae

import (
	"fmt"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/logprobs"
	"github.com/autoreg/autoreg/nn"
	"github.com/autoreg/autoreg/rnn"
)

// Given is the decoder conditioned on one code z: the model of sequences
// WithLatent returns. It is read-only; its States may be copied into the
// States of any code of the same Model.
type Given struct {
	m      *Model
	z      []float32 // (D)
	h0, c0 []float32 // (L·H) each: the decoder's initial state of z
}

// WithLatent returns the decoder given z (autoreg.Latent).
func (m *Model) WithLatent(z []float64) (autoreg.Model, error) {
	if err := autoreg.CheckLatent(z, m.cfg.Latent); err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	z32 := make([]float32, len(z))
	for i, v := range z {
		z32[i] = float32(v)
	}
	return m.given(z32), nil
}

func (m *Model) given(z []float32) *Given {
	L, H := m.cfg.Layers, m.cfg.Hidden
	carry := make([]float32, 2*L*H) // GRU: h, then an unused c
	m.initState(carry[:m.dec.StateLen()], make([]float32, L*H), z, 1)
	return &Given{m: m, z: z, h0: carry[:L*H], c0: carry[L*H:]}
}

// NewState returns the empty history of the decoder given z = 0, the
// prior's mean (see autoreg.Latent).
func (m *Model) NewState() autoreg.State {
	return m.given(make([]float32, m.cfg.Latent)).NewState()
}

// Vocab describes the token space.
func (g *Given) Vocab() autoreg.Vocab { return g.m.vocab }

// Latent returns the code (a copy).
func (g *Given) Latent() []float64 {
	z := make([]float64, len(g.z))
	for i, v := range g.z {
		z[i] = float64(v)
	}
	return z
}

// NewState returns the empty history given the code.
func (g *Given) NewState() autoreg.State {
	m := g.m
	L, H, E, D := m.cfg.Layers, m.cfg.Hidden, m.cfg.embed(), m.cfg.Latent
	s := &State{m: m, z: append([]float32(nil), g.z...), h0: append([]float32(nil), g.h0...),
		c0: append([]float32(nil), g.c0...), h: make([]float32, L*H), c: make([]float32, L*H),
		buf: m.dec.NewStepBuf(), in: make([]float32, E+D), next: logprobs.New("vae", m.V, false)}
	s.Reset()
	return s
}

// State is one history of the decoder given a code: the code, the
// recurrent state of every layer after the tokens appended so far, and
// the scratch of a step. Append runs one step per token; nothing is
// allocated after NewState.
type State struct {
	m      *Model
	n      int
	z      []float32 // (D)
	h0, c0 []float32 // (L·H) the initial state of z
	h, c   []float32 // (L·H)
	buf    rnn.StepBuf
	in     []float32      // (E+D) [e(x); z]
	next   logprobs.Cache // the next token's logits and log-probabilities
}

// Len is the number of tokens appended since Reset.
func (s *State) Len() int { return s.n }

// Reset returns to the empty history given the state's code.
func (s *State) Reset() {
	copy(s.h, s.h0)
	copy(s.c, s.c0)
	s.n = 0
	s.next.Stale()
}

// CopyTo makes dst, a State of the same Model (given any code), an
// independent copy, its code included.
func (s *State) CopyTo(dst autoreg.State) {
	d, ok := dst.(*State)
	if !ok || d.m != s.m {
		panic("vae: CopyTo: destination is not a state of the same model")
	}
	copy(d.z, s.z)
	copy(d.h0, s.h0)
	copy(d.c0, s.c0)
	copy(d.h, s.h)
	copy(d.c, s.c)
	s.next.CopyTo(&d.next)
	d.n = s.n
}

// Append runs the decoder over xs, one step per token, each input beside
// the code.
func (s *State) Append(xs ...autoreg.Token) {
	m, a := s.m, s.m.arena
	E := m.cfg.embed()
	copy(s.in[E:], s.z)
	for _, x := range xs {
		s.next.CheckToken("Append", x)
		copy(s.in[:E], m.emb.Data(a)[int(x)*E:int(x+1)*E])
		m.dec.Step(a, &s.buf, s.h, s.c, s.in)
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
	nn.LinearForward(dst, s.h[(L-1)*H:L*H], m.outWeight().Data(a), m.bout.Data(a), 1, H, m.V)
}

// LogProbs writes log P(next | history, z) for every token into dst. The
// empty history (before <s>) predicts the uniform distribution, as
// package rnn's states do.
func (s *State) LogProbs(dst []float32) { s.next.LogProbs(dst, s.n == 0, s.logits) }

// LogProb returns log P(next = x | history, z).
func (s *State) LogProb(x autoreg.Token) float64 { return s.next.LogProb(x, s.n == 0, s.logits) }
