package rnn

import (
	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/exact"
	"github.com/autoreg/autoreg/tensor"
)

// NewExactState returns an empty history, a *State, whose log-probabilities
// are bit-identical on every platform, build tag (the assembly kernels or
// -tags noasm) and GOMAXPROCS: the coding-time path of lmzip's static mode
// (docs/COMPRESSION.md, numeric path 2).
//
// It is the same model as NewState's; only the arithmetic differs. Every
// float is computed by the bit-exact pieces of internal/exact (fixed
// summation orders, every product rounded to float32 before it is added,
// our own exp, log and tanh): per layer and token the gate
// pre-activations exact.Linear(W, x, b) + exact.Linear(U, h) (GRU: the
// hidden side's n-gate bias added to U·h first), exact.LSTMCell or
// exact.GRUCell, and exact.LogSoftmax of exact.Linear(W_o, h, b_o). The
// results equal the fast state's up to float rounding.
// ScoreSequence on it scores token by token.
//
// An exact state and a fast one cannot be copied into each other.
func (m *Model) NewExactState() autoreg.State {
	return m.newState(true)
}

// BitExactLogProbs reports whether s came from NewExactState, whose
// log-probabilities are the same bits everywhere (lmzip.BitExact).
func (s *State) BitExactLogProbs() bool { return s.exact }

// StepExact is Step on the exact path: per layer the pre-activations
// exact.Linear(W, x, b) + exact.Linear(U, h) (GRU: the hidden side's n-gate
// bias added to U·h first), then exact.LSTMCell or exact.GRUCell. Its
// results are the same bits on every platform.
func (s *Stack) StepExact(a *tensor.Arena, sc *StepBuf, h, c, in []float32) {
	H, G := s.cfg.Hidden, s.cfg.gates()
	for l := range s.layers {
		w := &s.layers[l]
		h, c := h[l*H:(l+1)*H], c[l*H:(l+1)*H]
		exact.Linear(sc.g, in, w.wx.Data(a), w.b.Data(a), 1, len(in), G*H)
		exact.Linear(sc.hg, h, w.wh.Data(a), nil, 1, H, G*H)
		if s.cfg.Cell == LSTM {
			exact.Add(sc.g, sc.hg)
			// hg, no longer needed, takes tanh c.
			exact.LSTMCell(h, c, sc.hg[:H], sc.g, c)
		} else {
			exact.Add(sc.hg[2*H:], w.bhn.Data(a))
			exact.GRUCell(h, sc.gates, sc.g, sc.hg, h)
		}
		in = sc.x[:H]
		copy(in, h)
	}
}
