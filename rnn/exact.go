package rnn

import (
	"math"

	"github.com/autoreg/autoreg"
	"github.com/autoreg/autoreg/internal/kernels"
)

// NewExactState returns an empty history, a *State, whose log-probabilities
// are bit-identical on every platform, build tag (the assembly kernels or
// -tags noasm) and GOMAXPROCS: the coding-time path of lmzip's static mode
// (docs/COMPRESSION.md, numeric path 2).
//
// It is the same model as NewState's; only the arithmetic differs. Every
// float is computed by the exact kernels of internal/kernels (fixed
// summation orders, every product rounded to float32 before it is added,
// the kernels' own exp, log and tanh): per layer and token the gate
// pre-activations (ExactMatVec(W, x) + b) + ExactMatVec(U, h) (GRU: the
// hidden side's n-gate bias added to U·h first), the gates by ExactSigmoid
// and ExactTanh, the LSTM cell c = float32(f·c′) + float32(i·g),
// h = float32(o·tanh c) (GRU: h = float32((1−z)·n) + float32(z·h′), n =
// tanh(x_n + float32(r·h_n))), and ExactLogSoftmax of ExactMatVec(W_o, h) +
// b_o. The results equal the fast state's up to float rounding.
// ScoreSequence on it scores token by token.
//
// An exact state and a fast one cannot be copied into each other.
func (m *Model) NewExactState() autoreg.State {
	s := m.newState()
	s.exact = true
	return s
}

// BitExactLogProbs reports whether s came from NewExactState, whose
// log-probabilities are the same bits everywhere (lmzip.BitExact).
func (s *State) BitExactLogProbs() bool { return s.exact }

// stepExact runs layer l of the exact path on input in, updating h (and c).
func (s *State) stepExact(l int, in, h, c []float32) {
	m, a := s.m, s.m.arena
	H := m.cfg.Hidden
	w := &m.layers[l]
	kernels.ExactMatVec(s.g, w.wx.Data(a), in)
	kernels.ExactMatVec(s.hg, w.wh.Data(a), h)
	b := w.b.Data(a)
	if m.cfg.Cell == LSTM {
		g := s.g
		for j, v := range b {
			g[j] = (g[j] + v) + s.hg[j]
		}
		// Gates i, f, g, o (the slice kernels give the scalar functions'
		// bits); hg, no longer needed, takes tanh c.
		kernels.ExactSigmoidSlice(g[:2*H], g[:2*H])
		kernels.ExactTanhSlice(g[2*H:3*H], g[2*H:3*H])
		kernels.ExactSigmoidSlice(g[3*H:4*H], g[3*H:4*H])
		for j := range H {
			c[j] = float32(g[H+j]*c[j]) + float32(g[j]*g[2*H+j])
		}
		tc := s.hg[:H]
		kernels.ExactTanhSlice(tc, c)
		for j := range H {
			h[j] = float32(g[3*H+j] * tc[j])
		}
		return
	}
	xg, hg := s.g, s.hg
	for j, v := range b {
		xg[j] += v
	}
	for j, v := range w.bhn.Data(a) {
		hg[2*H+j] += v
	}
	// r and z into xg[:2H], then n into xg[2H:3H].
	for j := range 2 * H {
		xg[j] += hg[j]
	}
	kernels.ExactSigmoidSlice(xg[:2*H], xg[:2*H])
	for j := range H {
		xg[2*H+j] += float32(xg[j] * hg[2*H+j])
	}
	kernels.ExactTanhSlice(xg[2*H:3*H], xg[2*H:3*H])
	for j := range H {
		z, n := xg[H+j], xg[2*H+j]
		h[j] = float32((1-z)*n) + float32(z*h[j])
	}
}

// computeExact is compute on the exact path: the logits of the last layer's
// h, then their log-softmax.
func (s *State) computeExact() {
	m, a := s.m, s.m.arena
	H, L := m.cfg.Hidden, m.cfg.Layers
	kernels.ExactMatVec(s.logits, m.outWeight().Data(a), s.h[(L-1)*H:L*H])
	for j, v := range m.bout.Data(a) {
		s.logits[j] += v
	}
	kernels.ExactLogSoftmax(s.logp, s.logits)
	s.fresh, s.haveLp = true, true
}

// uniformLogProb is −ln V, the empty history's log-probability of every
// token (with ExactLog on the exact path).
func (s *State) uniformLogProb() float64 {
	if s.exact {
		return float64(-kernels.ExactLog(float32(s.m.V)))
	}
	return -math.Log(float64(s.m.V))
}
