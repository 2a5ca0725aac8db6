package autoreg

// Stepper is an optional interface for models that can advance many
// states by one token each in one batched pass: the beams of a beam
// search, the sequences a server generates for concurrent requests. The
// rows of the batch share every weight read and every matrix product, so
// stepping n states costs much less than n single steps.
//
// A batched step must give each state exactly the bits it would get from
// states[i].Append(xs[i]) alone: the results of a sequence never depend on
// which other states share the step, nor on its place among them. (A
// family meets this by fixing the order in which each row's sums are
// taken, the same in its one-row and its batched products.)
type Stepper interface {
	// Step appends xs[i] to states[i] for every i. The states must be
	// distinct States of this model; len(xs) must equal len(states). Ids
	// outside the vocabulary are a programming error and panic, as in
	// State.Append.
	Step(states []State, xs []Token)
}

// Step appends xs[i] to states[i] for every i, in one batched pass when m
// implements [Stepper] and one state at a time otherwise. Either way each
// state ends as states[i].Append(xs[i]) would leave it.
func Step(m Model, states []State, xs []Token) {
	if len(states) != len(xs) {
		panic("autoreg: Step: states and tokens of different lengths")
	}
	if s, ok := m.(Stepper); ok && len(states) > 1 {
		s.Step(states, xs)
		return
	}
	for i, st := range states {
		st.Append(xs[i : i+1]...)
	}
}
