package autoreg

import "github.com/autoreg/autoreg/dist"

// RealModel is a trained autoregressive model over real-valued vectors: a
// sequence x_1, x_2, … of steps x_t ∈ R^Dim (a time series of Dim columns).
// It is the twin of [Model] for continuous data: a state predicts a
// distribution object (package dist) instead of a vector of
// log-probabilities.
//
// A RealModel is read-only once built and safe to share between goroutines;
// all mutable history lives in the RealStates it creates.
type RealModel interface {
	// Dim is the number of values in a step.
	Dim() int
	// NewRealState returns a state holding the empty history.
	NewRealState() RealState
}

// RealState is one growing history x<t of a RealModel, used by one
// goroutine at a time.
type RealState interface {
	// Append conditions the state on whole steps, in order: len(xs) must be
	// a multiple of Dim (a programming error otherwise, which panics), step
	// t being xs[t·Dim : (t+1)·Dim]. A long history should go in one call,
	// so families that can encode many steps at once do so in one pass.
	//
	// A NaN is a missing value: the state conditions on its own predictive
	// mean for that value (Predict().Mean(i) just before the step), the
	// model's best guess, so a gap neither stops the history nor biases it
	// towards zero. Infinite values are a programming error.
	Append(xs ...float64)
	// Predict returns the distribution of the next step given the
	// history. The state owns it: it stays valid, and is reused, until the
	// state's next Append, CopyTo into it, or Reset. It does not allocate.
	Predict() dist.Dist
	// CopyTo makes dst an independent copy of this state. dst must come
	// from NewRealState of the same model; reusing it avoids allocation
	// (one state per sample path of a forecast).
	CopyTo(dst RealState)
	// Reset returns the state to the empty history.
	Reset()
	// Len is the number of steps appended since the last Reset.
	Len() int
}
