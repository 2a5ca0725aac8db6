package rnn

import (
	"errors"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/dist"
	"github.com/autoreg/autoreg/internal/exact"
)

// NewExactRealState returns an empty history computed on the bit-exact
// path (Stack.StepExact, exact.Linear for the output layer and the
// highway), the coding-time path of lmzip's static coding of integer
// samples: with a discretized logistic head over integers (16-bit audio)
// its Ints, Cum and Find give the next step's probabilities as integer
// frequencies that are the same on every platform (realio.ExactOutput).
// Its Predict is the float distribution of the same raw outputs, equal to
// a NewRealState's up to float rounding. An exact state and a fast one
// cannot be copied into each other.
func (r *RealModel) NewExactRealState() autoreg.RealState {
	st := r.newRealState(r.m.stack.StepExact)
	st.exact = r.Spec.NewExactOutput()
	st.tmp = make([]float32, r.Spec.Outputs())
	return st
}

// predictExact is Predict on the exact path.
func (s *realState) predictExact() dist.Dist {
	m := s.r.m
	H, L := m.cfg.Hidden, m.cfg.Layers
	a := m.arena
	exact.Linear(s.raw, s.h[(L-1)*H:L*H], m.wout.Data(a), m.bout.Data(a), 1, H, len(s.raw))
	if sp := &s.r.Spec; sp.Highway {
		s.hist.Input(s.in)
		sp.HighwayExact(s.raw, s.in, s.r.hw.Data(a), s.tmp)
	}
	return s.exact.Fill(s.raw)
}

// Ints is the range of integers an exact state's Cum covers, or why the
// model's head has none (realio.ExactOutput.Ints); an error for a fast
// state.
func (s *realState) Ints() (lo, n int, err error) {
	if s.exact == nil {
		return 0, 0, errNotExact
	}
	return s.exact.Ints()
}

// Cum is the next step's cumulative frequency of dimension i's values
// below lo+j (exact states only).
func (s *realState) Cum(i, j int) uint32 {
	s.Predict()
	return s.exact.Cum(i, j)
}

// Find is the j with Cum(i, j) ≤ target < Cum(i, j+1) (exact states only).
func (s *realState) Find(i int, target uint32) int {
	s.Predict()
	return s.exact.Find(i, target)
}

// BitExactLogProbs reports whether s is an exact state.
func (s *realState) BitExactLogProbs() bool { return s.exact != nil }

var errNotExact = errors.New("rnn: a fast state has no exact integer frequencies (use NewExactRealState)")
